"""PBO by CSCV against the paper's procedure recomputed on the full returns matrix."""

import itertools
import json
import math

import numpy as np
import pytest
from scipy import stats

from prediction_models.engine.overfitting import OverfittingAccumulator, pbo
from prediction_models.engine.overfitting.pbo import block_edges, block_sums


def cscv_by_hand(returns, s, score=lambda m: m.sum(axis=0)):
    """Bailey et al. (2017), section 2: M is T x N; its rows cut into S submatrices; for each
    combination of S/2 of them J (training) and its complement (testing), n* = argmax of the
    training performance, w = its average rank among the testing performances / (N + 1),
    lambda = ln(w / (1 - w)); PBO = share of lambda <= 0."""
    m = np.asarray(returns, dtype=float).T
    t, n = m.shape
    pieces = np.array_split(np.arange(t), s)
    logits, is_perf, oos_perf = [], [], []
    for train in itertools.combinations(range(s), s // 2):
        test = [b for b in range(s) if b not in train]
        j = m[np.concatenate([pieces[b] for b in train])]
        j_bar = m[np.concatenate([pieces[b] for b in test])]
        r, r_bar = score(j), score(j_bar)
        best = int(np.flatnonzero(r == r.max())[0])  # ties: the first config
        w = stats.rankdata(r_bar, method="average")[best] / (n + 1)
        logits.append(math.log(w / (1 - w)))
        is_perf.append(r[best])
        oos_perf.append(r_bar[best])
    return np.mean(np.array(logits) <= 0), logits, is_perf, oos_perf


def hand_made(n_days=48, n_configs=9):
    """Returns in multiples of 1/256 (sums exact in any order, so ties are true ties: many of
    them), with a steady winner, a config good early only and a duplicate."""
    returns = np.zeros((n_configs, n_days))
    for c in range(n_configs):
        for d in range(n_days):
            returns[c, d] = ((c * 7 + d * 5 + c * d) % 5 - 2) / 128
    returns[3] += 1 / 256  # a steady winner
    returns[6, : n_days // 2] += 1 / 64  # good early only
    returns[8] = returns[1]  # a duplicate: exact ties
    return returns


@pytest.mark.parametrize("blocks", [2, 4, 8])
def test_pbo_equals_cscv_recomputed_by_hand(blocks):
    returns = hand_made()
    expected, logits, is_perf, oos_perf = cscv_by_hand(returns, blocks)
    got = pbo(block_sums(returns, block_edges(returns.shape[1], blocks)))
    assert got.pbo == pytest.approx(expected)
    assert len(got.logits) == math.comb(blocks, blocks // 2)
    np.testing.assert_allclose(got.logits, logits, rtol=1e-12)
    np.testing.assert_allclose(got.is_performance, is_perf, rtol=1e-12)
    np.testing.assert_allclose(got.oos_performance, oos_perf, rtol=1e-12, atol=1e-15)
    json.dumps(got.as_dict(), allow_nan=False)


def test_default_settings_give_70_splits_and_a_degradation_line():
    rng = np.random.default_rng(4)
    returns = rng.normal(0, 0.01, (30, 160))
    result = pbo(block_sums(returns, block_edges(160)))
    assert result.blocks == 8 and len(result.logits) == 70 and len(result.picks) == 70
    slope, intercept = np.polyfit(result.is_performance, result.oos_performance, 1)
    assert result.degradation_slope == pytest.approx(slope)
    assert result.degradation_intercept == pytest.approx(intercept)
    assert result.probability_of_oos_loss == pytest.approx(np.mean(np.array(result.oos_performance) < 0))


def test_a_ranking_with_tie_breaks_is_the_builds_pick():
    # Rank by wins first and returns second (the build ranks by profit, then accuracy).
    returns = hand_made()
    wins = (returns > 0).astype(float)
    acc = OverfittingAccumulator(returns.shape[1], blocks=4, reps=20)
    acc.add(returns, extra={"wins": wins})
    got = acc.summary(ranking=lambda s: (s["wins"], s["returns"])).pbo
    # By hand: wins are whole numbers and returns sum to less than 1 in size, so
    # wins * 1000 + returns orders the configs as the (wins, returns) pair does.
    expected, logits, _, _ = cscv_by_hand(
        np.hstack([wins, returns]).reshape(len(returns), 2, -1).transpose(0, 2, 1).reshape(len(returns), -1),
        4,
        score=lambda m: m[0::2].sum(axis=0) * 1000 + m[1::2].sum(axis=0),
    )
    assert got["pbo"] == pytest.approx(expected)
    np.testing.assert_allclose(got["logits"], logits, rtol=1e-12)


def test_ties_in_sample_go_to_the_lowest_config_index():
    returns = np.tile(np.array([0.01, -0.01, 0.02, 0.0]), (3, 2))  # three identical configs
    result = pbo(block_sums(returns, block_edges(8, 2)), config_index=np.array([40, 7, 19]))
    assert set(result.picks) == {7}
    # All tie OOS too: the average rank 2 of 3, w = 2/4, lambda = 0, counted as overfit.
    assert result.logits == [0.0, 0.0] and result.pbo == 1.0


def noise(seed, n_configs=100, n_days=400):
    return np.random.default_rng(seed).normal(0, 0.01, (n_configs, n_days))


def test_pbo_of_noise_is_about_one_half():
    values = [pbo(block_sums(noise(seed), block_edges(400))).pbo for seed in range(20)]
    assert 0.4 <= np.mean(values) <= 0.6


def test_pbo_with_one_skilled_config_is_low():
    for seed in range(5):
        returns = noise(100 + seed)
        returns[37] += 0.003  # 0.3 standard deviations a day
        result = pbo(block_sums(returns, block_edges(400)))
        assert result.pbo < 0.1
        picks, counts = np.unique(result.picks, return_counts=True)
        assert picks[np.argmax(counts)] == 37  # the skilled config is the usual in-sample pick


def test_block_settings_are_checked():
    with pytest.raises(ValueError, match="even"):
        block_edges(100, 7)
    with pytest.raises(ValueError, match="one day per block"):
        block_edges(5, 8)
    assert pbo(np.zeros((1, 8))).pbo is None
