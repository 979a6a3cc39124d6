"""The streaming accumulator, its partials, the summary's JSON safety, the verdict, the null
baseline's day permutation and the daily returns of a backtest."""

import io
import itertools
import json

import numpy as np
import pytest

from prediction_models.engine.overfitting import (
    NOT_AVAILABLE,
    OverfittingAccumulator,
    OverfittingSummary,
    VerdictThresholds,
    buy_and_hold_returns,
    daily_returns,
    day_block_permutation,
    day_starts,
    verdict,
)
from prediction_models.engine.overfitting.null import DAY_MS

N_DAYS = 120


def search_returns(seed=0, n_configs=300):
    rng = np.random.default_rng(seed)
    traded = rng.random((n_configs, N_DAYS)) < 0.25
    returns = rng.normal(0.0002, 0.01, (n_configs, N_DAYS)) * traded
    returns[::17] = 0.0  # configs that never open a position
    returns[5::50] = returns[4]  # configs with the same positions as config 4
    return returns


def buy_and_hold():
    return np.random.default_rng(99).normal(0.0003, 0.02, N_DAYS)


def accumulator():
    return OverfittingAccumulator(N_DAYS, reps=300, seed=4, buy_and_hold=buy_and_hold())


def npz_round_trip(partial):
    buffer = io.BytesIO()
    np.savez(buffer, **partial)
    buffer.seek(0)
    return dict(np.load(buffer))


def test_chunked_accumulator_equals_the_one_shot_computation():
    returns = search_returns()
    passed = returns.sum(axis=1) > 0.01
    one_shot = accumulator()
    one_shot.add(returns, passed=passed)
    expected = one_shot.summary().as_dict()

    # Chunks computed elsewhere, sent as npz files, merged in another order.
    bounds = [0, 41, 42, 160, 233, 300]
    partials = []
    for lo, hi in itertools.pairwise(bounds):
        chunk = accumulator()
        chunk.add(returns[lo:hi], config_index=np.arange(lo, hi), passed=passed[lo:hi])
        partials.append(npz_round_trip(chunk.partial()))
    merged = OverfittingAccumulator.from_partial(partials[3])
    for partial in partials[:3] + partials[4:]:
        merged.merge_partial(partial)
    got = merged.summary().as_dict()

    assert got["sharpe_trials"]["variance"] == pytest.approx(expected["sharpe_trials"]["variance"], rel=1e-12)
    assert got["sharpe_trials"]["mean"] == pytest.approx(expected["sharpe_trials"]["mean"], rel=1e-12, abs=1e-15)
    for key in ("sharpe_trials",):
        got.pop(key), expected.pop(key)
    assert got == expected
    assert expected["configs_tried"] == 300
    traded = [row for row in returns if np.any(row != 0)]
    assert expected["configs_with_positions"] == len(traded) == 300 - 17  # config 255 became a copy of 4
    assert (
        expected["distinct_position_sequences"] == len({row.tobytes() for row in traded}) == 283 - 6
    )  # six copies of config 4
    assert expected["pass_rate"] == pytest.approx(passed.mean())
    assert expected["spa_pvalue"]["flat"] is not None and expected["spa_pvalue"]["buy_and_hold"] is not None
    assert len(expected["pbo"]["logits"]) == 70


def test_merging_refuses_other_settings_and_repeated_configs():
    acc = accumulator()
    acc.add(search_returns()[:10])
    other = OverfittingAccumulator(N_DAYS, reps=300, seed=5, buy_and_hold=buy_and_hold())
    with pytest.raises(ValueError, match="settings"):
        acc.merge(other)
    flat_only = OverfittingAccumulator(N_DAYS, reps=300, seed=4)
    with pytest.raises(ValueError, match="buy-and-hold"):
        acc.merge(flat_only)
    again = accumulator()
    again.add(search_returns()[:10])
    acc.merge(again)  # the same config indexes 0..9 twice
    with pytest.raises(ValueError, match="twice"):
        acc.summary()
    with pytest.raises(ValueError, match="n_configs x 120"):
        acc.add(np.zeros((3, 7)))
    with pytest.raises(ValueError, match="NaN"):
        acc.add(np.full((1, N_DAYS), np.nan))


@pytest.mark.parametrize(
    "returns",
    [
        np.zeros((1, N_DAYS)),  # one config, never traded
        np.zeros((40, N_DAYS)),  # all flat
        np.full((5, N_DAYS), 0.001),  # constant series
        search_returns()[1:2],  # one config that traded
    ],
    ids=["one-flat-config", "all-zeros", "constant", "one-config"],
)
def test_summary_is_json_safe_on_degenerate_inputs(returns):
    acc = accumulator()
    acc.add(returns)
    summary = acc.summary()
    data = summary.as_dict()
    text = json.dumps(data, allow_nan=False)
    assert OverfittingSummary.from_dict(json.loads(text)).as_dict() == data
    dsr = summary.deflated_sharpe(returns[0])
    json.dumps(dsr, allow_nan=False)
    checks = verdict(summary, dsr["configs_tried"]["value"], holdout_profit=None, forward_profits=[])
    json.dumps(checks, allow_nan=False)
    if len(returns) == 1:
        assert data["pbo"]["pbo"] is None and "2" in data["pbo"]["reason"]
    if not np.any(returns[0] != 0) or np.ptp(returns[0]) == 0:
        assert dsr["configs_tried"]["value"] is None and dsr["configs_tried"]["reason"]


def test_an_empty_accumulator_finishes():
    data = accumulator().summary().as_dict()
    json.dumps(data, allow_nan=False)
    assert data["configs_tried"] == 0 and data["pass_rate"] is None
    assert data["spa_pvalue"] == {"flat": None, "buy_and_hold": None}


def test_verdict_checks_each_threshold():
    summary = OverfittingSummary(
        configs_tried=10,
        configs_with_positions=9,
        distinct_position_sequences=8,
        pass_rate=0.1,
        null_pass_rate=None,
        pbo={"pbo": 0.15},
        spa_pvalue={"flat": {"lower": 0.01, "consistent": 0.02, "upper": 0.03}, "buy_and_hold": None},
        sharpe_trials={"count": 9, "mean": 0.0, "variance": 0.001},
        settings={},
    )
    checks = {c["check"]: c for c in verdict(summary, 0.97, holdout_profit=12.5, forward_profits=[3.0, -1.0])}
    assert [c["passed"] for c in checks.values()] == [True, True, True, NOT_AVAILABLE, True, False]
    assert checks["forward_tests_profit"]["value"] == -1.0
    assert checks["spa_pvalue_flat"]["value"] == 0.02  # the consistent p-value
    strict = VerdictThresholds(min_deflated_sharpe=0.99, max_pbo=0.1, spa_pvalue="upper", max_spa_pvalue=0.025)
    checks = {
        c["check"]: c for c in verdict(summary, 0.97, holdout_profit=0.0, forward_profits=[1.0], thresholds=strict)
    }
    assert [c["passed"] for c in checks.values()] == [False, False, False, NOT_AVAILABLE, False, True]
    assert checks["deflated_sharpe_ratio"]["threshold"] == ">= 0.99"
    nothing = verdict(None)
    assert {c["passed"] for c in nothing} == {NOT_AVAILABLE}
    assert verdict(summary, float("nan"), forward_profits=[float("inf")])[0]["passed"] == NOT_AVAILABLE


def test_day_block_permutation_moves_whole_days():
    start = 1_600_000_000_000 // DAY_MS * DAY_MS + 13 * 3_600_000  # a partial first day
    minutes = 15 * 60_000
    timestamps = np.arange(start, start + 9 * DAY_MS + 5 * minutes, minutes, dtype=np.int64)
    p = day_block_permutation(timestamps, seed=3)
    assert np.array_equal(np.sort(p), np.arange(len(timestamps)))
    assert np.array_equal(p, day_block_permutation(timestamps, seed=3))
    assert not np.array_equal(p, day_block_permutation(timestamps, seed=4))
    assert not np.array_equal(p, np.arange(len(p)))
    days = timestamps // DAY_MS
    moved = days[p]
    # Each source day appears as one contiguous run, in its own order.
    runs = np.flatnonzero(np.r_[True, moved[1:] != moved[:-1]])
    assert len(runs) == len(np.unique(days))
    for lo, hi in zip(runs, np.r_[runs[1:], len(p)], strict=False):
        assert np.array_equal(np.diff(p[lo:hi]), np.ones(hi - lo - 1))
    # One index for every regression: rows permuted together keep their correlation.
    features = np.vstack([np.sin(np.arange(len(p))), np.sin(np.arange(len(p))) * 2 + 1])
    shuffled = features[:, p]
    assert np.corrcoef(shuffled)[0, 1] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="ascending"):
        day_block_permutation(timestamps[::-1], 0)
    assert day_block_permutation(np.zeros(0, np.int64), 0).size == 0


def test_daily_returns_on_a_common_calendar():
    start = 1_700_000_000_000 // DAY_MS * DAY_MS
    days = day_starts(start, start + 4 * DAY_MS + 5)  # five days
    assert len(days) == 5
    hour = 3_600_000
    close = np.array([start + hour, start + 2 * hour, start + 3 * DAY_MS + hour])
    balances = np.array([15_100.0, 15_050.0, 15_200.0])
    got = daily_returns(close, balances, 15_000.0, days)
    np.testing.assert_allclose(got, [15_050 / 15_000 - 1, 0, 0, 15_200 / 15_050 - 1, 0])
    assert np.array_equal(daily_returns(np.zeros(0), np.zeros(0), 15_000.0, days), np.zeros(5))
    with pytest.raises(ValueError, match="outside"):
        daily_returns(np.array([start + 6 * DAY_MS]), np.array([1.0]), 15_000.0, days)


def test_buy_and_hold_returns_take_each_days_last_close():
    start = 1_700_000_000_000 // DAY_MS * DAY_MS
    days = day_starts(start, start + 2 * DAY_MS)
    minute = 60_000
    close_times = np.array([start + minute, start + DAY_MS - 1, start + DAY_MS + minute, start + 2 * DAY_MS + 5])
    closes = np.array([101.0, 102.0, 99.0, 104.0])
    got = buy_and_hold_returns(close_times, closes, 100.0, days)
    np.testing.assert_allclose(got, [102 / 100 - 1, 99 / 102 - 1, 104 / 99 - 1])


def test_position_counts_and_sequence_keys_from_the_search():
    returns = search_returns(seed=2, n_configs=40)
    positions = np.where(np.any(returns != 0, axis=1), 3, 0)
    positions[0] = 2  # traded, although its closes cancel out to zero returns
    returns[0] = 0.0
    keys = np.arange(40, dtype=np.uint64) // 2  # the search says: configs 2k and 2k+1 share their positions
    acc = accumulator()
    acc.add(returns, positions=positions, keys=keys)
    summary = acc.summary()
    assert summary.configs_with_positions == int((positions > 0).sum())
    assert summary.distinct_position_sequences == len(np.unique(keys[positions > 0]))
    # A config without a Sharpe ratio (all zero) does not enter the trials' Sharpe variance.
    assert summary.sharpe_trials["count"] == int((positions > 0).sum()) - 1
    with pytest.raises(ValueError, match="extra series"):
        acc.add(returns, extra={"wins": returns > 0})


def test_a_refused_chunk_records_nothing():
    acc = accumulator()
    acc.add(search_returns()[:10])
    before = acc.partial()
    returns = search_returns()[10:20]
    with pytest.raises(ValueError, match="passed has 3 values for 10 configs"):
        acc.add(returns, passed=np.ones(3, bool))
    with pytest.raises(ValueError, match="keys has 2 values"):
        acc.add(returns, keys=np.zeros(2, np.uint64))
    after = acc.partial()
    assert before.keys() == after.keys()
    assert all(np.array_equal(before[k], after[k]) for k in before)
