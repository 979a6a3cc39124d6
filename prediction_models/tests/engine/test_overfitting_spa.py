"""The chunked SPA equals arch's SPA, and its p-values are uniform when no config has skill."""

import numpy as np
import pytest
from arch.bootstrap import SPA, StationaryBootstrap
from scipy import stats

from prediction_models.engine.overfitting import OverfittingAccumulator, spa_pvalues
from prediction_models.engine.overfitting.spa import bootstrap_counts


def configs(seed, n_configs=200, n_days=250):
    """Sparse daily returns: a few configs with a small edge, most without, some never trading."""
    rng = np.random.default_rng(seed)
    traded = rng.random((n_configs, n_days)) < 0.3
    returns = rng.normal(0, 0.01, (n_configs, n_days)) * traded
    returns[:10] += 0.002 * traded[:10]
    returns[-5:] = 0.0
    return returns


def arch_pvalues(benchmark, returns, **kwargs):
    spa = SPA(-benchmark, -returns.T, **kwargs)  # losses are negative returns
    spa.compute()
    return {name: float(spa.pvalues[name]) for name in ("lower", "consistent", "upper")}


@pytest.mark.parametrize("seed, block_size", [(11, None), (12, 7)])
def test_chunked_spa_equals_arch_on_200_configs(seed, block_size):
    returns = configs(seed)
    n_days = returns.shape[1]
    buy_and_hold = np.random.default_rng(seed + 1).normal(0.0005, 0.02, n_days)
    acc = OverfittingAccumulator(n_days, reps=1000, block_size=block_size, seed=seed, buy_and_hold=buy_and_hold)
    for chunk in np.array_split(np.arange(len(returns)), 6):  # uneven chunks
        acc.add(returns[chunk])
    spa = acc.summary().spa_pvalue
    kwargs = {"reps": 1000, "seed": seed, **({"block_size": block_size} if block_size else {})}
    expected_flat = arch_pvalues(np.zeros(n_days), returns, **kwargs)
    expected_bh = arch_pvalues(buy_and_hold, returns, **kwargs)
    assert spa["flat"] == expected_flat
    assert spa["buy_and_hold"] == expected_bh
    # A test that can tell: the edge is visible against flat, and p-values differ by benchmark.
    assert expected_flat != expected_bh
    assert spa_pvalues(np.zeros(n_days), returns, **kwargs) == expected_flat


def test_bootstrap_counts_are_arch_indices():
    counts = bootstrap_counts(50, 5, 3, 9)

    bs = StationaryBootstrap(5, np.zeros(50), seed=9)
    for r, _ in enumerate(bs.bootstrap(3)):
        assert np.array_equal(counts[r], np.bincount(bs.index, minlength=50))
    assert (counts.sum(axis=1) == 50).all()


def test_spa_pvalues_on_noise_are_uniform():
    # No config beats the flat benchmark (every mean is zero): the p-values of the re-centred
    # tests are uniform. Five configs, 500 days, 200 independent searches. The returns are
    # independent from day to day, so the bootstrap's mean block is short (5 days); with arch's
    # default sqrt(T) = 22 on 500 days the bootstrap variance is a few percent low and the
    # p-values lean towards 0 (docs/statistics.md).
    pvalues = {"consistent": [], "upper": []}
    for i in range(200):
        returns = np.random.default_rng(i).normal(0, 0.01, (5, 500))
        result = spa_pvalues(np.zeros(500), returns, reps=500, block_size=5, seed=i)
        for name in pvalues:
            pvalues[name].append(result[name])
    for name, values in pvalues.items():
        assert stats.kstest(values, "uniform").pvalue > 0.01, name


def test_spa_sees_a_skilled_config():
    returns = np.random.default_rng(5).normal(0, 0.01, (50, 500))
    returns[7] += 0.003
    assert spa_pvalues(np.zeros(500), returns, reps=500, seed=1)["consistent"] <= 0.01
