"""The balance minute by minute: closed positions only, and marked to market (open position at the close).

The certificate's ``largest_balance_drawdown`` (ORIGINAL.md §7.4) reads the balance after each
closed position only, and is signed: ``pct_change`` from each balance to the lowest one after
it, the most negative of those. A balance that never fell gives a *positive* figure (the
smallest rise after any point), so that figure is kept unchanged and shown as it is, and these
curves give the drawdown a trader reads: the fall from the running peak, never above 0.

The mark-to-market balance values the open position at each minute's close, net of the fee
paid when it opened (equity = position size × leverage, as the backtest trades it); at the exit
minute it is the closed balance the backtest recorded.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from prediction_models.engine.assets import Candles


@dataclasses.dataclass(frozen=True)
class Equity:
    """Both balances at each minute of a period (``times``: the minutes' open times, ms)."""

    times: np.ndarray
    closed: np.ndarray
    marked: np.ndarray
    initial: float  # the balance before the first minute: the first peak

    @property
    def closed_drawdown(self) -> np.ndarray:
        return drawdown_pct(self.closed, self.initial)

    @property
    def marked_drawdown(self) -> np.ndarray:
        return drawdown_pct(self.marked, self.initial)

    @property
    def largest_closed_drawdown(self) -> float:
        return largest_drawdown_pct(self.closed, self.initial)

    @property
    def largest_marked_drawdown(self) -> float:
        return largest_drawdown_pct(self.marked, self.initial)


def period_minutes(minutes: Candles, start: int, end: int) -> slice:
    """The minutes that open at or after ``start`` and close by ``end``: the period's time axis."""
    return slice(int(np.searchsorted(minutes.ot, start, "left")), int(np.searchsorted(minutes.ct, end, "right")))


def equity_curve(backtest: dict, minutes: Candles, start: int, end: int) -> Equity:
    """The closed and the mark-to-market balance at every minute of ``[start, end]``."""
    span = period_minutes(minutes, start, end)
    ot, ct, close = minutes.ot[span], minutes.ct[span], minutes.c[span]
    closed = np.full(len(ot), float(backtest["initial_balance"]))
    marked = closed.copy()
    equity = round(backtest["position_size"] * backtest["leverage"], 2)
    open_fee = (equity / 100) * backtest["exchange_fee"]
    previous = float(backtest["initial_balance"])
    for p in backtest["positions"]:
        entry = int(np.searchsorted(ot, p["ot"], "left"))
        exit_ = int(np.searchsorted(ct, p["ct"], "left"))  # the minute the position closed in
        if exit_ >= len(ot):
            exit_ = len(ot) - 1
        closed[exit_:] = p["b"]
        marked[exit_:] = p["b"]
        if exit_ > entry:
            marked[entry:exit_] = previous + p["t"] * equity * (close[entry:exit_] / p["op"] - 1) - open_fee
        previous = p["b"]
    return Equity(ot, closed, marked, float(backtest["initial_balance"]))


def largest_marked_drawdown(backtest: dict, minutes: Candles, start: int, end: int) -> float:
    """The deepest fall of the mark-to-market balance over ``[start, end]`` (%, ≤ 0): the figure the
    model page shows beside that curve, kept in the certificate's ``metrics`` so lists can sort by it."""
    return equity_curve(backtest, minutes, start, end).largest_marked_drawdown


def drawdown_pct(balances: np.ndarray, initial: float | None = None) -> np.ndarray:
    """The fall from the running peak (the initial balance the first one), in %: 0 at a new peak, negative below it."""
    values = np.asarray(balances, dtype=float)
    if not len(values):
        return values
    peak = np.maximum.accumulate(values if initial is None else np.maximum(values, initial))
    return (values / peak - 1) * 100


def largest_drawdown_pct(balances: np.ndarray, initial: float | None = None) -> float:
    """The deepest fall from a running peak, in % (2 decimals, ≤ 0; 0 when it never fell)."""
    drawdown = drawdown_pct(balances, initial)
    return round(float(drawdown.min()), 2) + 0.0 if len(drawdown) else 0.0


def keep_extremes(values: np.ndarray, max_points: int = 2000) -> np.ndarray:
    """At most about ``max_points`` indices, evenly spread, always keeping the first, the last and
    each bucket's lowest value (a downsampled drawdown keeps its deepest point)."""
    n = len(values)
    if n <= max_points:
        return np.arange(n)
    size = -(-n // max_points)
    lows = [start + int(np.argmin(values[start : start + size])) for start in range(0, n, size)]
    return np.unique(np.concatenate([[0], np.arange(0, n, size), lows, [n - 1]]))
