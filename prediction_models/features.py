"""Features of trained regressions on an epoch's test range (ORIGINAL.md §7.1).

Runs Keras, so a job calls it in a child process (``manage.py predict_features``); it needs
no database, only the epoch folder. For each regression: the test-range windows
``c_norm[i - lookback : i]`` for ``i`` in ``[lookback, len(P) - predictions)``, the last
forecast step of each, and the engine's feature formula against the window's last input.
One ``<regression id>.npy`` per regression, written atomically, so a re-run skips the done ones.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from core.files import atomic_open, read_json, safe_join
from epochs.engine.epoch import read_epoch_candles
from epochs.engine.layout import EpochLayout
from prediction_models.engine.assets import features_from_forecasts, refused_windows

PREDICT_BATCH = 4096


def regression_shape(epoch_dir: str | Path, regression_id: str) -> tuple[int, int]:
    """``(lookback, predictions)`` from the regression's certificate."""
    config = read_json(EpochLayout(Path(epoch_dir)).regression_certificate(regression_id))["regression_config"]
    return int(config["lookback"]), int(config["predictions"])


def test_windows(test_closes: np.ndarray, lookback: int, predictions: int) -> np.ndarray:
    """The F input windows of the test range (F = len - lookback - predictions)."""
    count = len(test_closes) - lookback - predictions
    if count < 1:
        raise ValueError(
            f"{len(test_closes)} test rows leave no window (lookback {lookback}, predictions {predictions})"
        )
    return sliding_window_view(np.asarray(test_closes, dtype=np.float64), lookback)[:count]


def regression_features(
    epoch_dir: str | Path, regression_id: str, test_closes: np.ndarray, refuse_from: int | None = None
) -> np.ndarray:
    """Features of one regression; windows deciding at test row >= ``refuse_from`` (the holdout)
    whose input reaches a normalisation bound have none (NaN), as Epoca refuses them live."""
    import tensorflow as tf  # why: TensorFlow is heavy; only the processes that train or predict load it

    lookback, predictions = regression_shape(epoch_dir, regression_id)
    model = tf.keras.models.load_model(EpochLayout(Path(epoch_dir)).regression_keras(regression_id), compile=False)
    windows = test_windows(test_closes, lookback, predictions)
    forecasts = model.predict(windows.astype(np.float32), batch_size=PREDICT_BATCH, verbose=0)
    refused = None
    if refuse_from is not None:
        refused = refused_windows(test_closes, lookback, 1.0, 0.0)[: len(windows)]
        refused &= np.arange(len(windows)) + lookback >= refuse_from
    return features_from_forecasts(test_closes, lookback, np.asarray(forecasts, dtype=np.float64)[:, -1], refused)


def features_file(out_dir: str | Path, regression_id: str) -> Path:
    return safe_join(out_dir, f"{regression_id}.npy")


def predict_features(
    epoch_dir: str | Path,
    regression_ids: Sequence[str],
    out_dir: str | Path,
    test_row: int,
    progress: Callable[[int, int, str], None] | None = None,
    holdout_row: int | None = None,
) -> list[Path]:
    """Write ``<out_dir>/<id>.npy`` for every regression that has none yet.

    ``holdout_row``: the epoch row where the holdout starts; from there on, windows Epoca would
    refuse have no feature.
    """
    _, _, closes = read_epoch_candles(EpochLayout(Path(epoch_dir)).candlesticks)
    test_closes = np.asarray(closes, dtype=np.float64)[test_row:]
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    paths = []
    for done, regression_id in enumerate(regression_ids):
        path = features_file(out_dir, regression_id)
        if not path.exists():
            refuse_from = None if holdout_row is None else holdout_row - test_row
            features = regression_features(epoch_dir, regression_id, test_closes, refuse_from)
            with atomic_open(path, "wb") as handle:
                np.save(handle, features)
        paths.append(path)
        if progress:
            progress(done + 1, len(regression_ids), regression_id)
    return paths


def predict_windows(
    epoch_dir: str | Path,
    regression_ids: Sequence[str],
    windows_file: str | Path,
    out_dir: str | Path,
    progress: Callable[[int, int, str], None] | None = None,
) -> list[Path]:
    """Write ``<out_dir>/<id>.npy``: each regression's last forecast step for every input window
    of ``windows_file`` (a forward test's Epoca inputs); done regressions are skipped."""
    windows = np.load(windows_file).astype(np.float32)
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    paths = []
    model = None
    for done, regression_id in enumerate(regression_ids):
        path = features_file(out_dir, regression_id)
        if not path.exists():
            import tensorflow as tf  # why: TensorFlow is heavy; only the processes that train or predict load it

            lookback, _ = regression_shape(epoch_dir, regression_id)
            if windows.shape[1] != lookback:
                raise ValueError(f"{regression_id} reads {lookback} values, the windows hold {windows.shape[1]}")
            model = tf.keras.models.load_model(
                EpochLayout(Path(epoch_dir)).regression_keras(regression_id), compile=False
            )
            forecasts = (
                model.predict(windows, batch_size=PREDICT_BATCH, verbose=0) if len(windows) else np.empty((0, 1))
            )
            with atomic_open(path, "wb") as handle:
                np.save(handle, np.asarray(forecasts, dtype=np.float64)[:, -1])
        paths.append(path)
        if progress:
            progress(done + 1, len(regression_ids), regression_id)
    return paths
