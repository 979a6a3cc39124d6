import numpy as np
import pytest

from regressions.engine.windows import WindowError, build_windows


def _series(rows: int) -> np.ndarray:
    # Value = row index, so every sample names the series row it came from.
    return np.arange(rows, dtype=np.float64)


def _expected_windows(c, lookback, predictions):
    """The original's loop, written out with plain Python lists."""
    xs, ys = [], []
    for i in range(lookback, len(c) - predictions):
        xs.append(list(c[i - lookback : i]))
        ys.append(list(c[i : i + predictions]))
    return xs, ys


def test_every_window_matches_the_original_loop_and_split():
    c = _series(200)
    w = build_windows(c, lookback=16, predictions=4, train_split=0.75)
    xs, ys = _expected_windows(c, 16, 4)
    split = int(200 * 0.75)
    assert len(xs) == 200 - 16 - 4
    assert w.train_x.tolist() == xs[:split] and w.train_y.tolist() == ys[:split]
    assert w.test_x.tolist() == xs[split:] and w.test_y.tolist() == ys[split:]
    assert (w.train_size, w.test_size) == (split, len(xs) - split)
    assert w.train_range == (0, split) and w.test_range == (split, len(xs))
    assert w.purged == 0


def test_first_test_window_reads_the_test_period_from_its_first_row():
    c = _series(100)
    w = build_windows(c, lookback=8, predictions=2, train_split=0.5)
    assert w.test_row == 50
    assert w.test_x[0, 0] == 50 and w.test_y[0, 0] == 58


def test_windows_are_views_of_the_series():
    c = _series(120)
    w = build_windows(c, lookback=10, predictions=5, train_split=0.6)
    for part in (w.train_x, w.train_y, w.test_x, w.test_y):
        assert np.shares_memory(part, c)
        assert not part.flags.writeable


def test_purge_drops_exactly_the_windows_whose_targets_reach_the_test_row():
    rows, lookback, predictions = 300, 20, 6
    c = _series(rows)
    test_row = int(rows * 0.7)
    plain = build_windows(c, lookback=lookback, predictions=predictions, train_split=0.7)
    purged = build_windows(c, lookback=lookback, predictions=predictions, train_split=0.7, purge=True)
    # Values are row numbers, so the last target value is the last target row.
    last_target_rows = plain.train_y[:, -1]
    keep = last_target_rows < test_row
    assert purged.train_y.tolist() == plain.train_y[keep].tolist()
    assert purged.train_x.tolist() == plain.train_x[keep].tolist()
    assert purged.train_y[-1, -1] == test_row - 1  # the boundary window is kept
    assert purged.purged == plain.train_size - purged.train_size == lookback + predictions - 1
    assert purged.test_x.tolist() == plain.test_x.tolist()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"lookback": 0, "predictions": 4, "train_split": 0.8},
        {"lookback": 8, "predictions": 4, "train_split": 1.0},
        {"lookback": 40, "predictions": 20, "train_split": 0.8},
    ],
)
def test_impossible_parameters_are_refused(kwargs):
    with pytest.raises(WindowError):
        build_windows(_series(64), **kwargs)


def test_series_must_be_one_dimensional():
    with pytest.raises(WindowError, match="1-D"):
        build_windows(np.zeros((10, 2)), lookback=2, predictions=1, train_split=0.5)
