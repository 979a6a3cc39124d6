"""One config's full §7.3 record (discovery, positions, performance), equal to the reference's."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from prediction_models.engine import backtest_reference
from prediction_models.engine.assets import PredictionModelAssets
from prediction_models.engine.backtest.kernels import _candidates, _walk
from prediction_models.engine.backtest.market import Market
from prediction_models.engine.discovery import discover
from prediction_models.engine.rounding import nb_alter_by_pct
from prediction_models.engine.trading import BacktestSettings, TradeConstants, min_sums


def feature_sums_array(assets: PredictionModelAssets, regression_ids: Sequence[str]) -> np.ndarray:
    """Left-to-right sums of the given regressions' features, as Python's ``sum`` adds them."""
    rows = assets.feature_rows(regression_ids)
    s = np.zeros(assets.features_num)
    for r in rows:
        s = s + assets.features[r]
    return s


def backtest_record(
    assets: PredictionModelAssets,
    regression_ids: Sequence[str],
    pcr: float,
    msf: str,
    msaf: float,
    settings: BacktestSettings = BacktestSettings(),
    market: Market | None = None,
    fixed_min_sums: tuple[float, float] | None = None,
) -> tuple[dict, dict, tuple[float, float]]:
    """Full §7.3 result of one config, equal to ``backtest_reference.evaluate``:
    ``(discovery, performance with positions, (min_increase_sum, min_decrease_sum))``.

    With ``fixed_min_sums`` (a forward test: the model's own) the min sums are not refitted.
    A NaN feature (a row Epoca refuses) makes its sum NaN: that row never signals, and no run
    of rising or falling sums passes through it (the reference engine reads NaN the same way).
    """
    market = market or Market.build(assets, pcr)
    s = feature_sums_array(assets, regression_ids)
    discovery = discover(s, market.labels)
    min_inc, min_dec = fixed_min_sums if fixed_min_sums is not None else min_sums(discovery, msf, msaf)
    f = assets.features_num
    cand_k = np.empty((1, f), np.int64)
    cand_side = np.empty((1, f), np.int8)
    cand_count = np.empty(1, np.int64)
    _candidates(s, market.k_start, np.array([min_inc]), np.array([min_dec]), cand_k, cand_side, cand_count)
    entries, exits, sides = (np.empty(f, np.int64) for _ in range(3))
    wins = np.empty(f, np.bool_)
    balances = np.empty(f)
    money = TradeConstants.of(settings, pcr)
    count, balance, fees, _, _ = _walk(
        cand_k[0],
        cand_side[0],
        cand_count[0],
        market.k,
        market.k_start,
        market.end,
        market.longs,
        market.shorts,
        market.resume(settings.idle_minutes),
        float(settings.position_size),
        money.initial_balance,
        money.net_profit,
        money.net_loss,
        money.win_fee,
        money.loss_fee,
        entries,
        exits,
        sides,
        wins,
        balances,
    )
    rows = assets.feature_rows(regression_ids)
    minutes = assets.minutes
    positions = []
    for p in range(count):
        e, j, side, win = int(entries[p]), int(exits[p]), int(sides[p]), bool(wins[p])
        k = int(market.k[e])
        o = float(minutes.o[e])
        take_profit, stop_loss = (_alter(o, pcr), _alter(o, -pcr)) if side == 1 else (_alter(o, -pcr), _alter(o, pcr))
        positions.append(
            {
                "t": side,
                "p": {"r": side, "t": int(minutes.ot[e]), "f": assets.features[rows, k].tolist()},
                "ot": int(minutes.ot[e]),
                "op": o,
                "tpp": take_profit,
                "slp": stop_loss,
                "ct": int(minutes.ct[j]),
                "cp": take_profit if win else stop_loss,
                "o": win,
                "b": float(balances[p]),
            }
        )
    performance = backtest_reference.performance_record(money, settings, positions, float(balance), float(fees))
    return discovery, performance, (min_inc, min_dec)


def _alter(value: float, percent: float) -> float:
    return float(nb_alter_by_pct(value, percent))
