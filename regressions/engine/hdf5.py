"""Trained regression files: ``model.keras`` and the legacy Keras-2 ``model.h5`` Epoca loads.

Epoca's prediction service (TensorFlow 2.10) opens each ``<id>.h5`` with h5py, requires the
root attributes ``id``, ``description``, ``lookback`` and ``predictions``, and rebuilds the
network with ``tensorflow.python.keras.saving.hdf5_format.load_model_from_hdf5``.

The ``.h5`` is written without the optimizer: TF 2.10's loader rejects the Keras 2.15 optimizer
config ("Unknown optimizer: Custom>Adam"), while the layer configs of every template (InputLayer,
Reshape, Dense, Conv1D, MaxPooling1D, Flatten, LSTM, GRU) load unchanged. The service only
predicts, so it loses nothing; ``model.keras`` keeps the full model for this application.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h5py

from core.files import atomic_path
from epochs.engine.layout import H5_FILE, KERAS_FILE


class H5MetadataError(ValueError):
    """An ``.h5`` file lacks the attributes or the model config Epoca requires."""


@dataclass(frozen=True)
class H5Metadata:
    id: str
    description: str
    lookback: int
    predictions: int
    model_config: dict[str, Any]
    keras_version: str


def save_regression_files(
    model: Any, directory: str | Path, *, regression_id: str, description: str, lookback: int, predictions: int
) -> tuple[Path, Path]:
    """Write ``model.keras`` and ``model.h5`` into ``directory``; returns both paths."""
    directory = Path(directory)
    keras_path = directory / KERAS_FILE
    with atomic_path(keras_path) as tmp:
        model.save(tmp, save_format="keras")
    h5_path = write_legacy_h5(
        model,
        directory / H5_FILE,
        regression_id=regression_id,
        description=description,
        lookback=lookback,
        predictions=predictions,
    )
    return keras_path, h5_path


def write_legacy_h5(
    model: Any, path: str | Path, *, regression_id: str, description: str, lookback: int, predictions: int
) -> Path:
    """Write the Keras-2 HDF5 model with Epoca's four root attributes, atomically."""
    import tensorflow as tf  # why: TensorFlow is heavy; only the processes that train or predict load it

    with atomic_path(path) as tmp:
        tf.keras.models.save_model(model, tmp, save_format="h5", include_optimizer=False)
        with h5py.File(tmp, "a") as handle:
            handle.attrs["id"] = regression_id
            handle.attrs["description"] = description
            handle.attrs["lookback"] = int(lookback)
            handle.attrs["predictions"] = int(predictions)
    return Path(path)


def read_h5_metadata(path: str | Path) -> H5Metadata:
    """Read the root attributes and model config with h5py only (no Keras, no TensorFlow)."""
    try:
        handle = h5py.File(path, "r")
    except OSError as exc:
        raise H5MetadataError(f"{path}: not a readable HDF5 file ({exc})") from exc
    with handle:
        attrs = handle.attrs
        missing = [key for key in ("id", "description", "lookback", "predictions", "model_config") if key not in attrs]
        if missing:
            raise H5MetadataError(f"{path}: missing root attribute(s) {', '.join(missing)}")
        try:
            model_config = json.loads(_text(attrs["model_config"]))
        except ValueError as exc:
            raise H5MetadataError(f"{path}: root attribute model_config is not JSON ({exc})") from exc
        return H5Metadata(
            id=_text(attrs["id"]),
            description=_text(attrs["description"]),
            lookback=_integer(path, "lookback", attrs["lookback"]),
            predictions=_integer(path, "predictions", attrs["predictions"]),
            model_config=model_config,
            keras_version=_text(attrs.get("keras_version", "")),
        )


def _text(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def _integer(path: str | Path, name: str, value: Any) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError) as exc:
        raise H5MetadataError(f"{path}: root attribute {name} must be an integer, got {value!r}") from exc
    if number != value:
        raise H5MetadataError(f"{path}: root attribute {name} must be an integer, got {value!r}")
    return number
