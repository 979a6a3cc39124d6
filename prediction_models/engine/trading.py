"""Trading constants and helpers shared by the reference and the fast backtest (§7.3-7.4)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from epochs.engine.epoch_params import PARAM
from prediction_models.engine.metrics import profit_factor
from prediction_models.engine.rounding import alter_by_pct, pct_change

if TYPE_CHECKING:
    from prediction_models.engine.assets import Candles


@dataclasses.dataclass(frozen=True)
class BacktestSettings:
    """The epoch's trading settings (their declared defaults)."""

    position_size: float = PARAM["position_size"].default
    leverage: float = PARAM["leverage"].default
    exchange_fee: float = PARAM["exchange_fee"].default
    idle_minutes: int = PARAM["idle_minutes_on_position_close"].default

    @classmethod
    def of_epoch(cls, epoch: Any) -> BacktestSettings:
        """The settings of an epoch (a row or anything with its parameters as attributes)."""
        return cls(
            position_size=epoch.position_size,
            leverage=epoch.leverage,
            exchange_fee=epoch.exchange_fee,
            idle_minutes=epoch.idle_minutes_on_position_close,
        )

    def __post_init__(self) -> None:
        if self.position_size <= 0 or self.leverage <= 0 or self.exchange_fee < 0 or self.idle_minutes < 0:
            raise ValueError(f"invalid backtest settings {self}")


@dataclasses.dataclass(frozen=True)
class TradeConstants:
    """Per-position money amounts, computed with the original's operations in its order."""

    initial_balance: float
    equity: float
    open_fee: float
    win_fee: float  # open + close fee of a winning position
    loss_fee: float
    net_profit: float
    net_loss: float

    @classmethod
    def of(cls, settings: BacktestSettings, pcr: float) -> TradeConstants:
        equity = round(settings.position_size * settings.leverage, 2)
        open_fee = (equity / 100) * settings.exchange_fee
        gross_profit = alter_by_pct(equity, pcr) - equity
        gross_loss = equity - alter_by_pct(equity, -pcr)
        win_close_fee = (alter_by_pct(equity, pcr) / 100) * settings.exchange_fee
        loss_close_fee = (alter_by_pct(equity, -pcr) / 100) * settings.exchange_fee
        win_fee = open_fee + win_close_fee
        loss_fee = open_fee + loss_close_fee
        return cls(
            initial_balance=round(settings.position_size * 1.5, 2),
            equity=equity,
            open_fee=open_fee,
            win_fee=win_fee,
            loss_fee=loss_fee,
            net_profit=gross_profit - win_fee,
            net_loss=gross_loss + loss_fee,
        )


def feature_sums(features: np.ndarray, rows: Sequence[int] | np.ndarray) -> list[float]:
    """``sum(feature_list)`` per index, left to right as Python's ``sum`` adds them."""
    selected = features[list(rows)].T.tolist()
    return [sum(values) for values in selected]


def min_sums(discovery: dict, msf: str, msaf: float) -> tuple[float, float]:
    """``round(successful_<msf> * msaf, 6)`` for increase and decrease (decrease is negative)."""
    return (
        round(discovery[f"increase_successful_{msf}"] * msaf, 6),
        round(discovery[f"decrease_successful_{msf}"] * msaf, 6),
    )


def largest_balance_drawdown(initial_balance: float, balances: Sequence[float]) -> float:
    """Most negative ``pct_change(h[i], min(h[i+1:]))`` over the balance history; 0 without positions."""
    history = [initial_balance, *balances]
    if len(history) < 2:
        return 0
    return min(pct_change(history[i], min(history[i + 1 :])) for i in range(len(history) - 1))


def extra_metrics(performance: dict, minutes: Candles, first_minute: int, last_minute: int) -> dict:
    """Figures the original did not report, over the minutes the backtest walked.

    * ``buy_and_hold_pct``: % change from the first walked minute's open to the last one's close.
    * ``profit_factor``: gross wins / gross losses (net of fees); ``None`` without losses, when
      ``no_losses`` is true (and there were positions).
    * ``sharpe_ratio``: daily returns of the balance (balance at each UTC day's end, days
      without a close count as 0 return), ``mean / std (ddof 1) * sqrt(365)``; ``None`` with
      fewer than two days or no variation.
    * ``exposure_pct``: time in a position (entry minute open to exit minute close) as a share
      of the walked period.
    """
    positions = performance["positions"]
    period_start = int(minutes.ot[first_minute])
    period_end = int(minutes.ct[last_minute])
    wins = sum(p["b"] - prev for p, prev in _with_previous_balance(performance) if p["o"])
    losses = sum(prev - p["b"] for p, prev in _with_previous_balance(performance) if not p["o"])
    in_position = sum(p["ct"] - p["ot"] + 1 for p in positions)
    day = 86_400_000
    first_day, last_day = period_start // day, period_end // day
    closing = np.full(last_day - first_day + 1, np.nan)
    for p in positions:
        closing[p["ct"] // day - first_day] = p["b"]
    balance = np.empty_like(closing)
    current = performance["initial_balance"]
    for i, value in enumerate(closing):
        current = current if np.isnan(value) else value
        balance[i] = current
    returns = np.diff(np.concatenate([[performance["initial_balance"]], balance])) / np.concatenate(
        [[performance["initial_balance"]], balance[:-1]]
    )
    std = returns.std(ddof=1) if len(returns) > 1 else 0.0
    return {
        "buy_and_hold_pct": (float(minutes.c[last_minute]) / float(minutes.o[first_minute]) - 1) * 100,
        # Epoca cannot parse Infinity: a model that never lost has no factor and says why.
        "profit_factor": profit_factor(wins, losses),
        "no_losses": bool(positions) and losses <= 0,
        "sharpe_ratio": float(returns.mean() / std * np.sqrt(365)) if std > 0 else None,
        "exposure_pct": in_position * 100 / (period_end - period_start + 1),
    }


def _with_previous_balance(performance: dict) -> Iterator[tuple[dict, float]]:
    previous = performance["initial_balance"]
    for position in performance["positions"]:
        yield position, previous
        previous = position["b"]
