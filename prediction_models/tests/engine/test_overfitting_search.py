"""The statistics fed by real backtests: every config of a small space on real candles, its
daily returns from its positions, chunk by chunk into the accumulator."""

import json

import numpy as np
import pytest

from prediction_models.engine import backtest as fast
from prediction_models.engine.assets import build_assets
from prediction_models.engine.config_space import ConfigSpace
from prediction_models.engine.overfitting import (
    OverfittingAccumulator,
    buy_and_hold_returns,
    daily_returns,
    day_starts,
    verdict,
)
from prediction_models.engine.trading import BacktestSettings, TradeConstants
from testing.market_data import (
    load_month,
    resample,
    synthetic_features,
    to_candles,
)

LOOKBACK, STEPS = 32, 8


@pytest.fixture(scope="module")
def real_assets():
    minutes = load_month(2022, 6).iloc[: 21 * 1440].reset_index(drop=True)
    predictions = resample(minutes, 15)
    features = synthetic_features(predictions.c.to_numpy(), LOOKBACK, STEPS, 6, seed=8)
    return build_assets(
        predictions=to_candles(predictions),
        minutes=to_candles(minutes),
        features=features,
        lookback=LOOKBACK,
        forecast_steps=STEPS,
        pcrs=(1, 2),
    )


def test_a_search_of_real_backtests_finishes_into_a_summary(real_assets):
    space = ConfigSpace(real_assets.regression_ids, 4, pcrs=(1,), msfs=("mean",), msafs=(1, 2))
    trading = BacktestSettings(idle_minutes=30)
    minutes = real_assets.minutes
    days = day_starts(int(minutes.ot[0]), int(minutes.ct[-1]))
    bh = buy_and_hold_returns(minutes.ct, minutes.c, float(minutes.o[0]), days)
    acc = OverfittingAccumulator(len(days), blocks=4, reps=200, seed=1, buy_and_hold=bh)
    markets = {}
    by_index, profits, traded = {}, {}, 0
    for lo in range(0, len(space), 12):  # chunks of the search
        rows, passed = [], []
        for index in range(lo, min(len(space), lo + 12)):
            config = space.config(index)
            ids = [space.regression_ids[i] for i in config.combination]
            market = markets.setdefault(config.pcr, fast.Market.build(real_assets, config.pcr))
            _, performance, _ = fast.backtest_record(
                real_assets, ids, config.pcr, config.msf, config.msaf, trading, market=market
            )
            initial = TradeConstants.of(trading, config.pcr).initial_balance
            trades = performance["positions"]
            returns = daily_returns([p["ct"] for p in trades], [p["b"] for p in trades], initial, days)
            # The daily returns compound to the backtest's final balance.
            assert initial * np.prod(1 + returns) == pytest.approx(performance["final_balance"], rel=1e-9)
            rows.append(returns)
            passed.append(performance["profit"] > 0)
            traded += bool(trades)
            by_index[index], profits[index] = returns, performance["profit"]
        acc.add(np.array(rows), config_index=np.arange(lo, lo + len(rows)), passed=passed)
    summary = acc.summary()
    data = summary.as_dict()
    json.dumps(data, allow_nan=False)
    assert data["configs_tried"] == len(space)
    assert data["configs_with_positions"] == traded > 0  # days with a return are days with a close
    assert data["pass_rate"] == pytest.approx(np.mean([p > 0 for p in profits.values()]))
    assert len(data["pbo"]["logits"]) == 6 and data["pbo"]["pbo"] is not None
    assert set(data["spa_pvalue"]) == {"flat", "buy_and_hold"}
    best = max(profits, key=profits.get)
    dsr = summary.deflated_sharpe(by_index[best])
    json.dumps(dsr, allow_nan=False)
    checks = verdict(summary, dsr["configs_tried"]["value"], holdout_profit=None, forward_profits=None)
    assert [c["check"] for c in checks][:2] == ["deflated_sharpe_ratio", "probability_of_backtest_overfitting"]
    assert checks[-1]["passed"] == "not available"


def test_the_search_kernels_daily_returns_equal_the_records(real_assets):
    space = ConfigSpace(real_assets.regression_ids, 4, pcrs=(1, 2), msfs=("mean", "median"), msafs=(1, 2))
    trading = BacktestSettings(idle_minutes=30)
    minutes = real_assets.minutes
    days = day_starts(int(minutes.ot[0]), int(minutes.ct[-1]))
    summary, returns = fast.evaluate_chunk_returns(real_assets, space, 3, len(space), trading, days)
    plain = fast.evaluate_chunk(real_assets, space, 3, len(space), trading)
    assert all(np.array_equal(summary[n], plain[n], equal_nan=True) for n in fast.SUMMARY_DTYPE.names)
    assert returns.shape == (len(space) - 3, len(days))
    traded = 0
    for row, daily in zip(summary, returns, strict=True):
        config = space.config(int(row["index"]))
        ids = [space.regression_ids[i] for i in config.combination]
        _, performance, _ = fast.backtest_record(real_assets, ids, config.pcr, config.msf, config.msaf, trading)
        trades = performance["positions"]
        initial = TradeConstants.of(trading, config.pcr).initial_balance
        expected = daily_returns([p["ct"] for p in trades], [p["b"] for p in trades], initial, days)
        assert np.array_equal(daily, expected), int(row["index"])
        traded += bool(trades)
    assert traded > 0
    found = []
    fast.search_chunk(
        real_assets, space, 0, len(space), None, trading, step=7, days=days, on_returns=lambda s, r: found.append(r)
    )
    assert np.array_equal(np.concatenate(found)[3:], returns)
