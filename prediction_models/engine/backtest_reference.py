"""The original per-minute backtest, line by line (ORIGINAL.md §7.3-7.4).

Slow (a Python loop over every minute) and kept only as the definition the fast engine is
proved against. Every value is a Python float so that ``round`` behaves as in the original's
pure-Python paths.
"""

from __future__ import annotations

from collections.abc import Sequence

from prediction_models.engine.assets import PredictionModelAssets
from prediction_models.engine.discovery import discover
from prediction_models.engine.rounding import alter_by_pct, pct_of_total
from prediction_models.engine.trading import (
    BacktestSettings,
    TradeConstants,
    feature_sums,
    largest_balance_drawdown,
    min_sums,
)


def state_intensity(initial_sum: float, current_sum: float) -> int:
    if initial_sum > 0:
        if initial_sum < current_sum:
            if current_sum >= alter_by_pct(initial_sum, 8):
                return 2
            if current_sum >= alter_by_pct(initial_sum, 4):
                return 1
            return 0
        if initial_sum > current_sum:
            if current_sum <= alter_by_pct(initial_sum, -8):
                return -2
            if current_sum <= alter_by_pct(initial_sum, -4):
                return -1
            return 0
        return 0
    if initial_sum < 0:
        if initial_sum > current_sum:
            if current_sum <= alter_by_pct(initial_sum, 8):
                return -2
            if current_sum <= alter_by_pct(initial_sum, 4):
                return -1
            return 0
        if initial_sum < current_sum:
            if current_sum >= alter_by_pct(initial_sum, -8):
                return 2
            if current_sum >= alter_by_pct(initial_sum, -4):
                return 1
            return 0
        return 0
    return 0


def prediction_result(sums: Sequence[float], min_increase_sum: float, min_decrease_sum: float) -> int:
    """1 (long), -1 (short) or 0 from the last six sums, the current one last."""
    increasing = sums[-1] > sums[-2] and sums[-2] > sums[-3] and sums[-3] > sums[-4]
    increasing_strongly = increasing and sums[-4] > sums[-5] and sums[-5] > sums[-6]
    decreasing = sums[-1] < sums[-2] and sums[-2] < sums[-3] and sums[-3] < sums[-4]
    decreasing_strongly = decreasing and sums[-4] < sums[-5] and sums[-5] < sums[-6]
    intensity = state_intensity(sums[0], sums[-1])
    if (sums[-1] >= min_increase_sum and increasing and intensity >= 1) or (
        sums[-1] <= min_decrease_sum and increasing_strongly and intensity >= 2
    ):
        return 1
    if (sums[-1] <= min_decrease_sum and decreasing and intensity <= -1) or (
        sums[-1] >= min_increase_sum and decreasing_strongly and intensity <= -2
    ):
        return -1
    return 0


def backtest(
    *,
    assets: PredictionModelAssets,
    pcr: float,
    min_increase_sum: float,
    min_decrease_sum: float,
    features: list[list[float]],
    sums: list[float],
    settings: BacktestSettings,
) -> dict:
    """``IBacktestPerformance`` of one config, walking every minute like the original."""
    money = TradeConstants.of(settings, pcr)
    features_num = len(sums)
    balance = money.initial_balance
    fees = 0.0
    active = None
    positions = []
    idle_until = 0
    minutes = assets.minutes
    rows = zip(
        minutes.ot.tolist(),
        minutes.ct.tolist(),
        minutes.o.tolist(),
        minutes.h.tolist(),
        minutes.l.tolist(),
        assets.lookback_indexer.tolist(),
        strict=False,
    )
    for ot, ct, o, h, l, k in rows:
        if not (k < features_num and balance >= settings.position_size):
            break
        if active is not None:
            outcome = None
            if active["t"] == 1:
                if l <= active["slp"]:
                    outcome = False
                elif h >= active["tpp"]:
                    outcome = True
            elif h >= active["slp"]:
                outcome = False
            elif l <= active["tpp"]:
                outcome = True
            if outcome is not None:
                balance += money.net_profit if outcome else -money.net_loss
                fees += money.win_fee if outcome else money.loss_fee
                active.update(ct=ct, cp=active["tpp"] if outcome else active["slp"], o=outcome, b=balance)
                positions.append(active)
                active = None
                idle_until = int(ct + 60_000 * settings.idle_minutes)
        elif ot >= idle_until:
            result = 0
            if k > 5:
                result = prediction_result(sums[k - 5 : k + 1], min_increase_sum, min_decrease_sum)
            if result != 0:
                take_profit = alter_by_pct(o, pcr if result == 1 else -pcr)
                stop_loss = alter_by_pct(o, -pcr if result == 1 else pcr)
                active = {
                    "t": result,
                    "p": {"r": result, "t": ot, "f": features[k]},
                    "ot": ot,
                    "op": o,
                    "tpp": take_profit,
                    "slp": stop_loss,
                }
    return performance_record(money, settings, positions, balance, fees)


def performance_record(
    money: TradeConstants, settings: BacktestSettings, positions: list[dict], balance: float, fees: float
) -> dict:
    """The ``IBacktestPerformance`` dict (with ``largest_balance_drawdown``)."""
    longs = [p for p in positions if p["t"] == 1]
    shorts = [p for p in positions if p["t"] == -1]
    long_wins = sum(1 for p in longs if p["o"])
    short_wins = sum(1 for p in shorts if p["o"])
    total = len(positions)
    return {
        "position_size": settings.position_size,
        "initial_balance": money.initial_balance,
        "final_balance": balance,
        "profit": balance - money.initial_balance,
        "fees": fees,
        "leverage": settings.leverage,
        "exchange_fee": settings.exchange_fee,
        "idle_minutes_on_position_close": settings.idle_minutes,
        "positions": positions,
        "increase_num": len(longs),
        "decrease_num": len(shorts),
        "increase_outcome_num": long_wins + (len(shorts) - short_wins),
        "decrease_outcome_num": short_wins + (len(longs) - long_wins),
        "increase_accuracy": pct_of_total(long_wins, len(longs) if longs else 1),
        "decrease_accuracy": pct_of_total(short_wins, len(shorts) if shorts else 1),
        "accuracy": pct_of_total(long_wins + short_wins, total if total > 0 else 1),
        "largest_balance_drawdown": largest_balance_drawdown(money.initial_balance, [p["b"] for p in positions]),
    }


def evaluate(
    assets: PredictionModelAssets,
    regression_ids: Sequence[str],
    pcr: float,
    msf: str,
    msaf: float,
    settings: BacktestSettings,
) -> tuple[dict, dict, tuple[float, float]]:
    """§7.3 for one config: ``(discovery, performance, (min_increase_sum, min_decrease_sum))``."""
    rows = assets.feature_rows(regression_ids)
    sums = feature_sums(assets.features, rows)
    features = assets.features[rows].T.tolist()
    discovery = discover(sums, assets.labels[float(pcr)])
    min_increase_sum, min_decrease_sum = min_sums(discovery, msf, msaf)
    performance = backtest(
        assets=assets,
        pcr=pcr,
        min_increase_sum=min_increase_sum,
        min_decrease_sum=min_decrease_sum,
        features=features,
        sums=sums,
        settings=settings,
    )
    return discovery, performance, (min_increase_sum, min_decrease_sum)
