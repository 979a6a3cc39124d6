"""The deflated Sharpe ratio against the paper's worked example and a by-hand recomputation."""

import itertools
import json
import math

import numpy as np
import pytest
from scipy import stats

from prediction_models.engine.overfitting import (
    OverfittingAccumulator,
    deflated_sharpe,
    deflated_sharpe_from_moments,
)
from prediction_models.engine.overfitting.dsr import (
    TrialSharpe,
    expected_max_sharpe,
    sharpe_ratios,
)


def test_the_papers_numerical_example():
    # Bailey and Lopez de Prado (2014), section 4: annualised SR 2.5 over 5 years of daily
    # returns, 100 trials of annualised Sharpe variance 0.5, skew -3, kurtosis 10: SR0 = 0.1132
    # (daily) and DSR = 0.9004.
    result = deflated_sharpe_from_moments(2.5 / math.sqrt(250), 1250, -3.0, 10.0, 0.5 / 250, 100)
    assert result.expected_max_sharpe == pytest.approx(0.1132, abs=5e-5)
    assert result.value == pytest.approx(0.9004, abs=5e-5)
    assert result.reason == ""


def by_hand(model, trials_returns, n_trials):
    """The paper's formulas written out with population moments (Pearson kurtosis)."""
    x = np.asarray(model, dtype=float)
    t = len(x)
    sr = x.mean() / math.sqrt(((x - x.mean()) ** 2).sum() / (t - 1))
    m2 = ((x - x.mean()) ** 2).mean()
    skew = ((x - x.mean()) ** 3).mean() / m2**1.5
    kurt = ((x - x.mean()) ** 4).mean() / m2**2
    srs = [r.mean() / r.std(ddof=1) for r in trials_returns]
    v = np.var(srs, ddof=1)
    g = 0.5772156649015329
    sr0 = math.sqrt(v) * ((1 - g) * stats.norm.ppf(1 - 1 / n_trials) + g * stats.norm.ppf(1 - 1 / (n_trials * math.e)))
    return stats.norm.cdf((sr - sr0) * math.sqrt(t - 1) / math.sqrt(1 - skew * sr + (kurt - 1) / 4 * sr**2)), sr0


def hand_made_configs():
    """Twelve configs over 60 days: sparse trading days, two duplicated sequences, two flat configs."""
    days = 60
    rows = []
    for c in range(8):
        r = np.zeros(days)
        for d in range(c % 5, days, 3 + c % 4):
            r[d] = 0.004 * ((d * (c + 3)) % 7 - 2.6) / 3
        rows.append(r)
    rows.append(rows[2].copy())  # the same positions as config 2
    rows.append(rows[5].copy())
    rows.append(np.zeros(days))  # never traded
    rows.append(np.zeros(days))
    return np.array(rows)


def test_search_dsr_equals_the_formulas_recomputed_by_hand():
    returns = hand_made_configs()
    acc = OverfittingAccumulator(returns.shape[1], reps=50)
    acc.add(returns[:5])
    acc.add(returns[5:])
    summary = acc.summary()
    assert summary.configs_tried == 12
    assert summary.configs_with_positions == 10
    assert summary.distinct_position_sequences == 8
    traded = [r for r in returns if np.any(r != 0)]
    model = returns[int(np.argmax(returns.sum(axis=1)))]
    dsr = summary.deflated_sharpe(model)
    json.dumps(dsr, allow_nan=False)
    # N = configs tried (every config, also the flat ones) and N = distinct position sequences.
    for key, n in (("configs_tried", 12), ("distinct_position_sequences", 8)):
        expected, sr0 = by_hand(model, traded, n)
        assert dsr[key]["trials"] == n
        assert dsr[key]["expected_max_sharpe"] == pytest.approx(sr0, rel=1e-12)
        assert dsr[key]["value"] == pytest.approx(expected, rel=1e-12)
    assert summary.sharpe_trials["variance"] == pytest.approx(
        np.var([r.mean() / r.std(ddof=1) for r in traded], ddof=1)
    )


def test_more_trials_deflate_more():
    rng = np.random.default_rng(3)
    model = rng.normal(0.002, 0.01, 500)
    values = [deflated_sharpe(model, 0.002, n).value for n in (1, 10, 1000, 755_820)]
    assert all(a > b for a, b in itertools.pairwise(values))
    # One trial: SR0 = 0, the DSR is the probabilistic Sharpe ratio against zero.
    assert expected_max_sharpe(0.002, 1) == 0.0
    sr = model.mean() / model.std(ddof=1)
    skew, kurt = stats.skew(model), stats.kurtosis(model, fisher=False)
    psr = stats.norm.cdf(sr * math.sqrt(len(model) - 1) / math.sqrt(1 - skew * sr + (kurt - 1) / 4 * sr**2))
    assert values[0] == pytest.approx(psr, rel=1e-12)


@pytest.mark.parametrize(
    "model, reason",
    [
        (np.zeros(30), "constant"),
        (np.full(30, 0.001), "constant"),
        (np.array([0.01]), "at least 2"),
        (np.zeros(0), "at least 2"),
        (np.array([0.01, np.nan, 0.0]), "NaN"),
    ],
)
def test_undefined_model_sharpe_is_none_with_a_reason(model, reason):
    result = deflated_sharpe(model, 0.01, 100)
    assert result.value is None and reason in result.reason
    json.dumps(result.as_dict(), allow_nan=False)


def test_undefined_trials_variance_is_none_with_a_reason():
    model = np.array([0.01, -0.005, 0.002, 0.0, 0.004])
    assert "variance" in deflated_sharpe(model, None, 50).reason
    assert "no trial" in deflated_sharpe(model, 0.01, 0).reason
    assert deflated_sharpe(model, None, 1).value is not None  # one trial needs no variance


def test_trial_sharpe_merges_like_one_pass():
    rng = np.random.default_rng(0)
    values = rng.normal(0.05, 0.02, 1001)
    merged = TrialSharpe()
    for part in np.array_split(values, 7):
        piece = TrialSharpe()
        piece.add(part)
        merged.merge(piece)
    assert merged.count == 1001
    assert merged.variance == pytest.approx(np.var(values, ddof=1), rel=1e-12)
    assert math.isnan(sharpe_ratios(np.zeros((1, 10)))[0])
