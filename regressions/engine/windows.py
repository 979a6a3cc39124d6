"""Regression windows over the normalised close series, and their train/test split.

Window ``j`` is anchored at row ``i = lookback + j`` of the series ``c``:
``x = c[i - lookback : i]`` (inputs) and ``y = c[i : i + predictions]`` (targets), for every
``i`` in ``[lookback, rows - predictions)``, so there are ``rows - lookback - predictions``
windows (the original drops the one possible last window too).

The split is taken on the window array at ``split = int(rows * train_split)`` (computed from
``rows``, not from the window count, as the original does). Test window ``split`` therefore
reads its inputs from rows ``[test_row, test_row + lookback)`` with ``test_row = split``: the
first window of the test period, which is also the first prediction-model feature window.

Purge (optional): the original's last training windows have targets reaching up to
``lookback + predictions - 1`` rows past ``test_row``. With ``purge=True`` a training window is
kept only when its last target row is before the test period:
``i + predictions - 1 < test_row``, i.e. ``j < test_row - lookback - predictions + 1``.

Every array returned is a strided view of ``c`` (no window is copied). Training gathers its
batches by the windows' first rows (:func:`window_rows`) from float32 window tensors it makes
once, so no epoch copies the window array.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


class WindowError(ValueError):
    """The series or the window parameters cannot produce train and test windows."""


@dataclass(frozen=True)
class RegressionWindows:
    """Train/test windows; ``train_*`` and ``test_*`` are read-only views of the series.

    ``train_range`` and ``test_range`` are the window indices ``[start, stop)`` used; window
    ``j`` is anchored at series row ``lookback + j``.
    """

    train_x: np.ndarray
    train_y: np.ndarray
    test_x: np.ndarray
    test_y: np.ndarray
    lookback: int
    predictions: int
    rows: int
    test_row: int
    train_range: tuple[int, int]
    test_range: tuple[int, int]
    purged: int
    series: np.ndarray | None = None  # the float64 series the views read (``None``: not known)

    @property
    def train_size(self) -> int:
        return len(self.train_x)

    @property
    def test_size(self) -> int:
        return len(self.test_x)


def build_windows(
    close: np.ndarray,
    *,
    lookback: int,
    predictions: int,
    train_split: float,
    purge: bool = False,
) -> RegressionWindows:
    """Cut ``close`` (1-D, normalised) into regression windows and split them (see module doc)."""
    series = np.asarray(close, dtype=np.float64)
    if series.ndim != 1:
        raise WindowError(f"close series must be 1-D, got shape {series.shape}")
    if lookback < 1 or predictions < 1:
        raise WindowError(f"lookback ({lookback}) and predictions ({predictions}) must be >= 1")
    if not 0.0 < train_split < 1.0:
        raise WindowError(f"train_split must be in (0, 1), got {train_split}")
    rows = len(series)
    count = rows - lookback - predictions
    test_row = int(rows * train_split)
    if count < 1 or test_row >= count:
        raise WindowError(
            f"{rows} rows leave {count} windows (lookback {lookback}, predictions {predictions}); "
            f"the split at window {test_row} leaves no test window"
        )
    # Read-only view: one row per window, inputs then targets.
    windows = sliding_window_view(series, lookback + predictions)[:count]
    train_stop = test_row
    if purge:
        train_stop = min(train_stop, test_row - lookback - predictions + 1)
    if train_stop < 1:
        raise WindowError(
            f"purging leaves no training window (test row {test_row}, lookback {lookback}, predictions {predictions})"
        )
    train, test = windows[:train_stop], windows[test_row:]
    return RegressionWindows(
        train_x=train[:, :lookback],
        train_y=train[:, lookback:],
        test_x=test[:, :lookback],
        test_y=test[:, lookback:],
        lookback=lookback,
        predictions=predictions,
        rows=rows,
        test_row=test_row,
        train_range=(0, train_stop),
        test_range=(test_row, count),
        purged=test_row - train_stop,
        series=series,
    )


def window_rows(first: int, stop: int) -> np.ndarray:
    """The series row where the inputs of windows ``[first, stop)`` start: window ``j`` reads
    ``x = c[j : j + lookback]`` and ``y = c[j + lookback : j + lookback + predictions]``."""
    return np.arange(first, stop, dtype=np.int64)
