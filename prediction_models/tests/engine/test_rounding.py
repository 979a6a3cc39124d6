import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from prediction_models.engine.rounding import (
    alter_by_pct,
    nb_alter_by_pct,
    nb_at_least_altered,
    nb_at_most_altered,
    nb_pct_change,
    numpy_sum,
    pct_change,
    py_round,
)

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)


@settings(max_examples=3000, deadline=None)
@given(finite, st.sampled_from([0, 1, 2, 6]))
def test_py_round_matches_python_round(x, ndigits):
    assert py_round(x, ndigits) == round(x, ndigits)


def test_py_round_on_decimal_ties_and_sums_of_features():
    # values whose decimal expansion sits on (or next to) a half: where naive scaling fails
    ties = [k / 1000 + 0.005 for k in range(-3000, 3000)] + [2.675, 1.005, 0.125, 0.375, -2.5e-7]
    sums = [sum([0.123457, -0.5, 0.333333, 0.010101][: 1 + i % 4]) * (1 + p / 100) for i in range(500) for p in (4, 8)]
    for x in ties + sums:
        assert py_round(x, 2) == round(x, 2), x
        assert py_round(x, 6) == round(x, 6), x


@settings(max_examples=500, deadline=None)
@given(
    st.floats(min_value=1000, max_value=100000).map(lambda v: round(v, 2)), st.sampled_from([3, -3, 4, -4, 8, -8, 1.5])
)
def test_alter_by_pct_twin(value, percent):
    assert nb_alter_by_pct(value, percent) == alter_by_pct(value, percent)


@settings(max_examples=500, deadline=None)
@given(st.floats(min_value=1e-3, max_value=1), st.floats(min_value=-1, max_value=2))
def test_pct_change_twin(old, new):
    assert nb_pct_change(old, new) == pct_change(old, new)


def test_pct_change_floor_and_formula():
    assert pct_change(1.0, -5.0) == -100
    assert pct_change(0.5, 0.6) == round((0.6 - 0.5) / 0.5 * 100, 2)


def test_numpy_sum_order_matches_numpy_mean():
    rng = np.random.default_rng(3)
    for n in [1, 7, 8, 9, 127, 128, 129, 1000, 8192, 8193, 20000, 40001]:
        values = rng.normal(size=n) * 3
        assert numpy_sum(values, 0, n) == np.add.reduce(values), n
        assert numpy_sum(values, 0, n) / n == np.mean(values.tolist()), n


@settings(max_examples=600, deadline=None)
@given(
    st.floats(min_value=-8, max_value=8),
    st.sampled_from([4, -4, 8, -8]),
    st.floats(min_value=-0.02, max_value=0.02),
    st.booleans(),
)
def test_altered_comparisons_skip_rounding_only_when_safe(value, percent, offset, on_the_grid):
    # x near the unrounded threshold, or exactly on a rounded one: where a shortcut could err
    threshold = alter_by_pct(value, percent)
    x = threshold if on_the_grid else value * (1 + percent / 100) + offset
    assert nb_at_least_altered(x, value, percent) == (x >= threshold)
    assert nb_at_most_altered(x, value, percent) == (x <= threshold)
