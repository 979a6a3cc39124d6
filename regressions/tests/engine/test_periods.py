"""The regression certificate's figures: selection windows only, the holdout's apart without refused windows."""

import numpy as np

from epochs.engine.ranges import epoch_ranges
from regressions.engine.pipeline import holdout_figures, period_figures, period_slices
from regressions.engine.training import evaluate
from regressions.engine.windows import build_windows

ROWS, LOOKBACK, PREDICTIONS = 2880, 128, 32


def series():
    rng = np.random.default_rng(5)
    close = 0.5 + np.cumsum(rng.normal(0, 0.002, ROWS))
    return np.clip(close, 0.01, None)


def test_selection_windows_end_before_the_holdout_and_holdout_windows_start_at_it():
    close = series()
    ranges = epoch_ranges(
        rows=ROWS, train_split=0.75, lookback=LOOKBACK, predictions=PREDICTIONS, holdout_share=0.25, purge=True
    )
    windows = build_windows(close, lookback=LOOKBACK, predictions=PREDICTIONS, train_split=0.75, purge=True)
    selection, holdout = period_slices(windows, ranges.holdout_row)
    # Window t of the test range reads rows test_row + t .. + lookback - 1 and targets the next `predictions` rows.
    last_target = windows.test_row + (selection.stop - 1) + LOOKBACK + PREDICTIONS - 1
    assert last_target < ranges.holdout_row
    assert windows.test_row + holdout.start + LOOKBACK == ranges.holdout_row and holdout.stop == windows.test_size
    # The same count as the prediction-model selection assets' features.
    assert selection.stop == ranges.holdout_row - ranges.test_row - LOOKBACK - PREDICTIONS
    # Without a holdout (the original preset) every test window is in the selection.
    assert period_slices(windows, ROWS) == (slice(0, windows.test_size), None)


def test_figures_per_period_and_refused_holdout_windows():
    close = series()
    close[2800:2810] = 1.2  # beyond the upper bound (normalised 1): Epoca refuses windows reading these rows
    windows = build_windows(close, lookback=LOOKBACK, predictions=PREDICTIONS, train_split=0.75, purge=True)
    holdout_row = 2700
    selection, holdout = period_slices(windows, holdout_row)
    predictions = np.asarray(windows.test_y) * 1.01
    figures = period_figures(windows, predictions, selection)
    assert figures["test_size"] == selection.stop
    assert figures["test_ds_evaluation"] == evaluate(predictions[selection], np.asarray(windows.test_y)[selection])

    held = holdout_figures(windows, predictions, holdout)
    x = np.asarray(windows.test_x)[holdout]
    refused = (x >= 1).any(axis=1) | (x <= 0).any(axis=1)
    assert held["refused_windows"] == int(refused.sum()) > 0
    assert held["test_size"] == int((~refused).sum())
    kept = np.flatnonzero(~refused) + holdout.start
    assert held["test_ds_evaluation"] == evaluate(predictions[kept], np.asarray(windows.test_y)[kept])
