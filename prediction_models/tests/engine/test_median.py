"""The linear-time selection against numpy's sort-based median."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prediction_models.engine.median import BUCKETS, kth_smallest, median


def scratch(n):
    return np.empty(max(n, 1)), np.empty(BUCKETS, np.int64)


def check(values):
    values = np.ascontiguousarray(values, dtype=np.float64)
    before = values.copy()
    work, counts = scratch(len(values))
    assert median(values, len(values), work, counts) == np.median(values), values
    assert np.array_equal(values, before)  # the input is left untouched


def feature_like(rng, n, regressions=8):
    """Sums of features on the original's grid (sign * round(i / 99, 6)), left to right."""
    levels = np.round(np.arange(100) / 99, 6)
    features = levels[rng.integers(0, 100, (regressions, n))] * rng.choice([-1, 1], (regressions, n))
    total = np.zeros(n)
    for row in features:
        total = total + row
    return total


@pytest.mark.parametrize("n", [1, 2, 3, 4, 47, 48, 49, 50, 2047, 2048, 2049, 10_000, 10_001])
def test_even_and_odd_counts_with_and_without_ties(n):
    rng = np.random.default_rng(n)
    check(rng.normal(size=n))
    check(rng.integers(-3, 4, n).astype(float))  # few distinct values: heavy ties
    check(feature_like(rng, n))
    check(np.abs(feature_like(rng, n)) + 1e-300)


def test_values_one_ulp_apart_and_extreme_ranges():
    base = np.full(5000, 0.1)
    check(base + np.repeat([0.0, 1.3877787807814457e-17, 2.7755575615628914e-17], [1700, 1700, 1600]))
    check(np.concatenate([np.full(4999, 0.3), [1e300]]))
    check(np.concatenate([np.full(4999, 0.3), [-1e300], [1e300]]))
    check(np.array([5e-324, 1e-323, 5e-324, 1.5e-323] * 300))  # subnormal range: too narrow to bucket
    check(np.array([-1.5e308, 1.5e308, 0.0] * 100))  # max - min overflows
    check(np.full(1001, -2.5))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(min_value=-8, max_value=8, allow_nan=False), min_size=1, max_size=400))
def test_random_lists(values):
    check(values)


def test_kth_smallest_every_rank():
    rng = np.random.default_rng(7)
    values = np.round(rng.normal(size=301), 1)  # ~60 distinct values
    work, counts = scratch(len(values))
    ordered = np.sort(values)
    assert [kth_smallest(values, len(values), r, work, counts) for r in range(len(values))] == ordered.tolist()
