import random
import statistics

import numpy as np
import pytest

from regressions.engine.discovery import (
    DISCOVERY_KEYS,
    Discovery,
    alter_by_pct,
    discovery_from_arrays,
    pct_change,
    pct_change_array,
    pct_of_total,
    regression_discovery,
    round_array,
)

# ---------------------------------------------------------------- helpers


@pytest.mark.parametrize(
    "old, new, expected",
    [
        (100, 150, 50.0),
        (100, 50, -50.0),
        (100, 100, 0),
        (0, 5, 0),
        (100, -300, -100),
        (3, 4, 33.33),
        (3, 2, -33.33),
        (0.5, 0.5025, 0.5),
    ],
)
def test_pct_change(old, new, expected):
    assert pct_change(old, new) == expected


@pytest.mark.parametrize(
    "value, pct, expected",
    [
        (100, 50, 150.0),
        (100, -50, 50.0),
        (100, 0, 100),
        (33.333, 1, 33.67),
        (10, -3.5, 9.65),
    ],
)
def test_alter_by_pct(value, pct, expected):
    assert alter_by_pct(value, pct) == expected


def test_pct_of_total():
    assert pct_of_total(4, 5) == 80.0
    assert pct_of_total(1, 3) == 33.33


def test_round_array_equals_python_round_including_ties():
    rng = np.random.default_rng(3)
    values = np.concatenate(
        [
            rng.normal(0, 50, 200_000),
            np.arange(-2000, 2000) / 1000 + 0.005,  # decimal ties that binary cannot hold exactly
            np.array([0.125, 0.375, 2.675, 1.005, -0.125, 1e6 + 0.005, 0.0, -0.0]),
        ]
    )
    for digits in (2, 6):
        expected = [round(v, digits) for v in values.tolist()]
        assert round_array(values, digits).tolist() == expected


def test_pct_change_array_equals_scalar():
    rng = np.random.default_rng(5)
    old = np.concatenate([rng.uniform(0.01, 1, 50_000), [0.0, 0.5, 0.2]])
    new = np.concatenate([rng.uniform(0.0, 1, 50_000), [0.3, 0.5, 0.0]])
    new[::7] = old[::7]  # unchanged values
    expected = [pct_change(o, n) for o, n in zip(old.tolist(), new.tolist(), strict=False)]
    assert pct_change_array(old, new).tolist() == expected


# ---------------------------------------------------------------- accumulator


def test_hand_made_discovery_reward_1_penalty_1_3():
    """The original's discovery_test, with every expected value computed by hand."""
    d = Discovery(reward=1, penalty=1.3)
    d.neutral_pred()
    d.neutral_pred()
    d.neutral_outcome()
    d.neutral_outcome()
    d.increase_pred(1, True)
    d.increase_pred(0.5, False)
    d.decrease_pred(-1, True)
    d.decrease_pred(-0.5, False)
    for _ in range(3):
        d.increase_pred(1, True)
    for _ in range(3):
        d.decrease_pred(-1, True)
    hist = [0, 1, 1 - 1.3, 1 - 1.3 + 1, 1 - 1.3 + 1 - 1.3]
    for _ in range(6):
        hist.append(hist[-1] + 1)
    assert d.points_hist == hist

    out = d.build()
    assert list(out) == list(DISCOVERY_KEYS)
    assert (out["neutral_num"], out["increase_num"], out["decrease_num"]) == (2, 5, 5)
    assert (out["neutral_outcome_num"], out["increase_outcome_num"], out["decrease_outcome_num"]) == (2, 5, 5)
    # 11 history entries: samples at int(11 * k / 10) = 1, 2, 3, 4, 5, 6, 7, 8, 9, then the last one.
    assert out["points_hist"] == [round(hist[i], 2) for i in range(1, 10)] + [round(hist[-1], 2)]
    assert out["points"] == 5.4
    assert (out["increase_accuracy"], out["decrease_accuracy"], out["accuracy"]) == (80.0, 80.0, 80.0)
    assert out["increase_list"] == [1, 0.5, 1, 1, 1]
    assert (out["increase_min"], out["increase_max"]) == (0.5, 1)
    assert out["increase_mean"] == 0.9 and out["increase_median"] == 1
    assert (out["decrease_min"], out["decrease_max"]) == (-1, -0.5)
    assert out["decrease_mean"] == -0.9 and out["decrease_median"] == -1
    assert out["increase_successful_list"] == [1, 1, 1, 1] and out["increase_successful_mean"] == 1
    assert out["increase_unsuccessful_list"] == [0.5] and out["increase_unsuccessful_median"] == 0.5
    assert out["decrease_successful_list"] == [-1, -1, -1, -1] and out["decrease_successful_median"] == -1
    assert out["decrease_unsuccessful_list"] == [-0.5] and out["decrease_unsuccessful_mean"] == -0.5


def test_empty_discovery_is_all_zero():
    out = Discovery().build()
    assert out["points_hist"] == [0.0] * 10 and out["points"] == 0
    for key in DISCOVERY_KEYS:
        if key.endswith("_list"):
            assert out[key] == []
        elif key != "points_hist":
            assert out[key] == 0, key


def test_points_hist_samples_tenths_of_a_long_history():
    d = Discovery(reward=1, penalty=1)
    for i in range(99):
        d.increase_pred(1.0, i % 3 != 0)  # 100 history entries
    hist = d.points_hist
    assert d.build()["points_hist"] == [float(hist[i]) for i in (10, 20, 30, 40, 50, 60, 70, 80, 90)] + [
        float(hist[-1])
    ]


# ---------------------------------------------------------------- vectorised == loop


def _loop_regression_discovery(x_last, y_last, pred_last):
    """ORIGINAL.md §5.3, event by event."""
    d = Discovery(reward=1, penalty=1)
    for x, y, p in zip(x_last, y_last, pred_last, strict=False):
        real = pct_change(x, y)
        pred = pct_change(x, p)
        if real == 0:
            d.neutral_outcome()
        elif pred > 0:
            d.increase_pred(pred, real > 0)
        elif pred < 0:
            d.decrease_pred(pred, real < 0)
        else:
            d.neutral_pred()
    return d.build()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_regression_discovery_vectorised_equals_loop(seed):
    rng = np.random.default_rng(seed)
    n = 5_000
    x = rng.uniform(0.05, 1, n)
    y = x * (1 + rng.normal(0, 0.02, n))
    pred = x * (1 + rng.normal(0, 0.02, n))
    y[::11] = x[::11]  # neutral outcomes
    pred[::13] = x[::13]  # neutral predictions
    expected = _loop_regression_discovery(x.tolist(), y.tolist(), pred.tolist())
    got = regression_discovery(x, y, pred)
    assert got == expected
    assert got["neutral_outcome_num"] > 0 and got["neutral_num"] > 0


def test_discovery_from_arrays_equals_accumulator_with_custom_reward():
    rnd = random.Random(9)
    values = [rnd.choice([-1, 1]) * round(rnd.uniform(0.01, 5), 2) for _ in range(3_000)]
    ok = [rnd.random() < 0.55 for _ in values]
    d = Discovery(reward=1, penalty=1.3)
    for v, s in zip(values, ok, strict=False):
        (d.increase_pred if v > 0 else d.decrease_pred)(v, s)
    for _ in range(7):
        d.neutral_pred()
    got = discovery_from_arrays(
        np.array(values), np.array(values) > 0, np.array(ok), neutral_num=7, reward=1, penalty=1.3
    )
    assert got == d.build()
    inc = [v for v in values if v > 0]
    assert got["increase_median"] == round(statistics.median(inc), 6)


def test_regression_discovery_refuses_nan():
    with pytest.raises(ValueError, match="NaN"):
        regression_discovery([0.5, np.nan], [0.5, 0.6], [0.4, 0.7])
