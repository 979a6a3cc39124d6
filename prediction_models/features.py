"""Features of trained regressions on an epoch's test range (ORIGINAL.md §7.1).

Runs Keras, so a job calls it in a child process (``manage.py predict_features``); it needs
no database, only the epoch folder. For each regression: the test-range windows
``c_norm[i - lookback : i]`` for ``i`` in ``[lookback, len(P) - predictions)``, the last
forecast step of each, and the engine's feature formula against the window's last input.
One ``<regression id>.npy`` per regression, written atomically, so a re-run skips the done ones.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Sequence

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from epoca_builder.files import atomic_open, read_json, safe_join
from prediction_models.engine.assets import features_from_forecasts

PREDICT_BATCH = 4096


def regression_shape(epoch_dir: str | Path, regression_id: str) -> tuple[int, int]:
    """``(lookback, predictions)`` from the regression's certificate."""
    config = read_json(safe_join(epoch_dir, "regressions", regression_id, "certificate.json"))["regression_config"]
    return int(config["lookback"]), int(config["predictions"])


def test_windows(test_closes: np.ndarray, lookback: int, predictions: int) -> np.ndarray:
    """The F input windows of the test range (F = len - lookback - predictions)."""
    count = len(test_closes) - lookback - predictions
    if count < 1:
        raise ValueError(f"{len(test_closes)} test rows leave no window (lookback {lookback}, predictions {predictions})")
    return sliding_window_view(np.asarray(test_closes, dtype=np.float64), lookback)[:count]


def regression_features(epoch_dir: str | Path, regression_id: str, test_closes: np.ndarray) -> np.ndarray:
    import tensorflow as tf

    lookback, predictions = regression_shape(epoch_dir, regression_id)
    model = tf.keras.models.load_model(safe_join(epoch_dir, "regressions", regression_id, "model.keras"), compile=False)
    windows = test_windows(test_closes, lookback, predictions)
    forecasts = model.predict(windows.astype(np.float32), batch_size=PREDICT_BATCH, verbose=0)
    return features_from_forecasts(test_closes, lookback, np.asarray(forecasts, dtype=np.float64)[:, -1])


def features_file(out_dir: str | Path, regression_id: str) -> Path:
    return safe_join(out_dir, f"{regression_id}.npy")


def predict_features(
    epoch_dir: str | Path,
    regression_ids: Sequence[str],
    out_dir: str | Path,
    test_row: int,
    progress: Callable[[int, int, str], None] | None = None,
) -> list[Path]:
    """Write ``<out_dir>/<id>.npy`` for every regression that has none yet."""
    from epochs.engine.epoch import read_epoch_candles

    _, _, closes = read_epoch_candles(Path(epoch_dir) / "candlesticks")
    test_closes = np.asarray(closes, dtype=np.float64)[test_row:]
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    paths = []
    for done, regression_id in enumerate(regression_ids):
        path = features_file(out_dir, regression_id)
        if not path.exists():
            features = regression_features(epoch_dir, regression_id, test_closes)
            with atomic_open(path, "wb") as handle:
                np.save(handle, features)
        paths.append(path)
        if progress:
            progress(done + 1, len(regression_ids), regression_id)
    return paths
