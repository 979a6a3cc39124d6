"""The build's rankings and their PBO analogues, against direct computations."""

import numpy as np
import pytest

from prediction_models.engine.overfitting import OverfittingAccumulator, feature_day_permutation, null_pass_rates
from prediction_models.engine.overfitting.null import DAY_MS
from prediction_models.engine.overfitting.pbo import block_edges, block_sums, pbo, splits
from prediction_models.engine.ranking import LCB_Z, extra_series, pbo_ranking, profit_lcb, rank_order


def test_profit_lcb_is_the_lower_bound_of_the_mean_profit_per_position():
    rng = np.random.default_rng(4)
    a, b = 80.5, 95.25
    profits, positions, wins, expected = [], [], [], []
    for n in (2, 3, 17, 60, 400):
        w = int(rng.integers(0, n + 1))
        pnl = np.array([a] * w + [-b] * (n - w))
        profits.append(pnl.sum())
        positions.append(n)
        wins.append(w)
        expected.append(pnl.mean() - LCB_Z * pnl.std(ddof=1) / np.sqrt(n))
    got = profit_lcb(np.array(profits), np.array(positions), np.array(wins), np.full(5, a), np.full(5, b))
    assert got == pytest.approx(expected, rel=1e-12, abs=1e-9)
    assert profit_lcb(np.array([50.0, 0.0]), np.array([1, 0]), np.array([1, 0]), 80.0, 95.0).tolist() == [
        -np.inf,
        -np.inf,
    ]


def test_rank_orders():
    index = np.array([5, 3, 9, 1])
    profit = np.array([10.0, 10.0, 30.0, 10.0])
    accuracy = np.array([60.0, 60.0, 50.0, 70.0])
    # profit: the original's order (profit, accuracy, lowest index)
    assert rank_order("profit", index, profit, accuracy).tolist() == [2, 3, 1, 0]
    lcb = np.array([1.0, 2.0, -5.0, 2.0])
    assert rank_order("profit_lcb", index, profit, accuracy, lcb).tolist() == [3, 1, 0, 2]
    with pytest.raises(ValueError, match="unknown ranking"):
        rank_order("luck", index, profit, accuracy)


def test_the_pbo_analogue_of_profit_lcb_is_the_bound_of_the_in_sample_daily_returns():
    rng = np.random.default_rng(7)
    returns = rng.normal(0.0005, 0.01, (40, 101)) * (rng.random((40, 1)) * 3)
    edges = block_edges(101, 8)
    series = {"returns": returns, **extra_series("profit_lcb", returns)}
    sums = {name: block_sums(v, edges) for name, v in series.items()}
    ranking = pbo_ranking("profit_lcb")
    for train in splits(8)[:5]:
        days = np.concatenate([np.arange(edges[i], edges[i + 1]) for i in train])
        r = returns[:, days]
        expected = r.mean(axis=1) - LCB_Z * r.std(axis=1, ddof=1) / np.sqrt(len(days))
        lcb, total = ranking({k: v[:, list(train)].sum(axis=1) for k, v in sums.items()})
        assert lcb == pytest.approx(expected, rel=1e-9, abs=1e-12)
        assert total == pytest.approx(r.sum(axis=1))
    # The accumulator, fed the extra series, gives the same PBO as the block sums directly.
    acc = OverfittingAccumulator(101, blocks=8, reps=20)
    acc.add(returns[:25], extra=extra_series("profit_lcb", returns[:25]))
    acc.add(returns[25:], extra=extra_series("profit_lcb", returns[25:]))
    summary = acc.summary(ranking=ranking).as_dict()
    direct = pbo(sums, np.arange(40), ranking).as_dict()
    assert summary["pbo"]["picks"] == direct["picks"] and summary["pbo"]["pbo"] == direct["pbo"]
    # ... which differs from the total return's on these series (the pick is another config).
    assert direct["picks"] != pbo(sums, np.arange(40)).as_dict()["picks"]
    assert pbo_ranking("profit")(sums) is sums["returns"]


def test_feature_day_permutation_moves_each_days_feature_rows_together():
    day0 = 19_700 * DAY_MS
    minutes = day0 + np.arange(0, 4 * 1440 - 30) * 60_000  # four days of minutes, the last one short
    indexer = np.minimum(np.arange(len(minutes)) // 15, 10_000)  # 15 minutes per feature row
    n = int(indexer[-1]) + 3  # rows after the last minute belong to the last day
    p = feature_day_permutation(minutes, indexer, n, seed=11)
    assert sorted(p.tolist()) == list(range(n))
    day = np.minimum(np.arange(n) // 96, 3)
    moved = day[p]
    runs = moved[np.r_[True, moved[1:] != moved[:-1]]]
    assert sorted(runs.tolist()) == [0, 1, 2, 3] and runs.tolist() != [0, 1, 2, 3]  # whole days, reordered
    for d in range(4):
        assert np.all(np.diff(p[moved == d]) == 1)  # each day's rows in their own order
    assert np.array_equal(p, feature_day_permutation(minutes, indexer, n, seed=11))


def test_null_pass_rates_need_every_seed():
    records = {"1": {"pass_rate": 0.1}, "2": {"pass_rate": 0.2}}
    assert null_pass_rates(records, [1, 2]) == (pytest.approx(0.15), [0.1, 0.2])
    assert null_pass_rates(records, [1, 2, 3]) == (None, [0.1, 0.2, None])
    assert null_pass_rates({}, []) == (None, [])
