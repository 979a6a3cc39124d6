"""Regression training certificates (Epoca's ``IRegressionTrainingCertificate``); their check is `certificate_checks`.

The certificate keeps every key and type the Epoca GUI reads (history and evaluation keyed by
full metric names, capitalised optimizer name, a ``units`` list even for CNNs, 10 points-hist
samples) plus reproducibility extras: ``best_epoch``, ``best_metrics``, ``training_seconds``,
``seed`` and ``package_versions``, and the added ``holdout`` and ``runtime`` (the device, the
TensorFlow build with its CUDA and cuDNN versions, op determinism and the thread pools). NaN and Infinity are refused: Epoca cannot parse Infinity
and a NaN metric means the training itself failed.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core.files import read_json, write_json
from epochs.engine.epoch_file_contract import METRICS as METRIC_NAMES
from epochs.engine.epoch_file_contract import SUMMARY_KEYS

from .architectures import KERAS_MODEL_PARAMS
from .certificate_checks import (
    CERTIFICATE_KEYS,
    OPTIMIZER_CLASS_NAMES,
    OPTIONAL_KEYS,
    CertificateError,
    _is_int,
    _is_number,
    validate_certificate,
)

__all__ = [
    "CERTIFICATE_KEYS",
    "METRIC_NAMES",
    "OPTIMIZER_CLASS_NAMES",
    "OPTIONAL_KEYS",
    "CertificateError",
    "build_certificate",
    "certificate_keras_model_config",
    "dataset_summary",
    "full_history",
    "model_summary",
    "validate_certificate",
]

_SHORT_METRICS = {"mae": "mean_absolute_error", "mse": "mean_squared_error"}


def dataset_summary(values: np.ndarray) -> dict[str, float]:
    """pandas ``describe()`` of the normalised close series, as plain floats."""
    described = pd.Series(np.asarray(values, dtype=np.float64)).describe()
    return {key: float(described[key]) for key in SUMMARY_KEYS}


def certificate_keras_model_config(keras_model: Mapping[str, Any], lookback: int, predictions: int) -> dict:
    """Template config + lookback + predictions, always with a ``units`` list (GUI joins it)."""
    config: dict[str, Any] = {"name": keras_model["name"], "units": list(keras_model.get("units") or [])}
    config.update({p: list(keras_model[p]) for p in KERAS_MODEL_PARAMS[1:] if keras_model.get(p)})
    config.update(lookback=lookback, predictions=predictions)
    return config


def _full_name(key: str) -> str:
    prefix, name = ("val_", key[4:]) if key.startswith("val_") else ("", key)
    return prefix + _SHORT_METRICS.get(name, name)


def full_history(history: Mapping[str, Any]) -> dict[str, list[float]]:
    """Keras history with full metric names (``mae`` -> ``mean_absolute_error``) and float lists."""
    return {_full_name(key): [float(v) for v in values] for key, values in history.items()}


def _full_metrics(values: Mapping[str, Any]) -> dict[str, float]:
    return {_full_name(key): float(value) for key, value in values.items()}


def _stringify(config: Mapping[str, Any]) -> dict[str, str]:
    return {str(k): str(v) for k, v in config.items()}


def _shape(shape: Any) -> list:
    return [None if dim is None else int(dim) for dim in tuple(shape)]


def model_summary(model: Any, *, metric: str) -> dict:
    """IKerasModelSummary of a compiled Keras model."""
    import tensorflow as tf  # why: TensorFlow is heavy; only needed once a model exists

    loss = (
        model.loss
        if isinstance(model.loss, tf.keras.losses.Loss)
        else tf.keras.losses.get({"class_name": _loss_class(model.loss), "config": {}})
    )
    return {
        "model_class": type(model).__name__,
        "optimizer_config": _stringify(model.optimizer.get_config()),
        "loss_config": _stringify(loss.get_config()),
        "metrics": ["loss", metric],
        "input_shape": _shape(model.input_shape),
        "output_shape": _shape(model.output_shape),
        "layers": [
            {
                "name": layer.name,
                "params": int(layer.count_params()),
                "input_shape": _shape(layer.input_shape),
                "output_shape": _shape(layer.output_shape),
                "trainable": bool(layer.trainable),
            }
            for layer in model.layers
        ],
        "total_params": int(model.count_params()),
        "trainable_params": int(sum(np.prod(w.shape) for w in model.trainable_weights)),
        "non_trainable_params": int(sum(np.prod(w.shape) for w in model.non_trainable_weights)),
    }


def _loss_class(name: Any) -> str:
    classes = {"mean_absolute_error": "MeanAbsoluteError", "mean_squared_error": "MeanSquaredError"}
    if name not in classes:
        raise CertificateError(f"model.loss: {name!r} is not one of {list(classes)}")
    return classes[name]


# ---------------------------------------------------------------- certificate


def build_certificate(
    *,
    config: Mapping[str, Any],
    model: Any,
    training_data_start: int,
    training_data_end: int,
    train_size: int,
    test_size: int,
    training_data_summary: Mapping[str, float],
    training_start: int,
    training_end: int,
    history: Mapping[str, Any],
    test_ds_evaluation: Mapping[str, float],
    discovery: Mapping[str, Any],
    best_epoch: int,
    best_metrics: Mapping[str, float],
    seed: int,
    package_versions: Mapping[str, str],
    holdout: Mapping[str, Any] | None = None,
    runtime: Mapping[str, Any] | None = None,
) -> dict:
    """Assemble and validate the certificate of one trained regression.

    ``config`` is the grid config (id, description, lookback, predictions, learning_rate,
    optimizer, loss, metric, keras_model); ``model`` the trained, compiled Keras model.
    """
    optimizer = OPTIMIZER_CLASS_NAMES.get(config["optimizer"])
    if optimizer is None:
        raise CertificateError(f"config.optimizer: {config['optimizer']!r} is not one of {list(OPTIMIZER_CLASS_NAMES)}")
    certificate = {
        "id": config["id"],
        "description": config["description"],
        "training_data_start": int(training_data_start),
        "training_data_end": int(training_data_end),
        "train_size": int(train_size),
        "test_size": int(test_size),
        "training_data_summary": {k: float(training_data_summary[k]) for k in SUMMARY_KEYS},
        "learning_rate": config["learning_rate"],
        "optimizer": optimizer,
        "loss": config["loss"],
        "metric": config["metric"],
        "keras_model_config": certificate_keras_model_config(
            config["keras_model"], config["lookback"], config["predictions"]
        ),
        "training_start": int(training_start),
        "training_end": int(training_end),
        "training_history": full_history(history),
        "test_ds_evaluation": {k: v for k, v in _full_metrics(test_ds_evaluation).items() if k in METRIC_NAMES},
        "discovery": dict(discovery),
        "regression_config": {
            "id": config["id"],
            "description": config["description"],
            "lookback": config["lookback"],
            "predictions": config["predictions"],
            "summary": model_summary(model, metric=config["metric"]),
        },
        "best_epoch": int(best_epoch),
        "best_metrics": _full_metrics(best_metrics),
        "training_seconds": round((int(training_end) - int(training_start)) / 1000, 3),
        "seed": int(seed),
        "package_versions": {str(k): str(v) for k, v in package_versions.items()},
    }
    if holdout is not None:
        # Added after the original's keys (Epoca ignores keys it does not know).
        certificate["holdout"] = {
            "test_size": int(holdout["test_size"]),
            "refused_windows": int(holdout["refused_windows"]),
            "test_ds_evaluation": None
            if holdout["test_ds_evaluation"] is None
            else {k: v for k, v in _full_metrics(holdout["test_ds_evaluation"]).items() if k in METRIC_NAMES},
            "discovery": None if holdout["discovery"] is None else dict(holdout["discovery"]),
        }
    if runtime is not None:
        # Added: where and how it trained (device, TensorFlow build, op determinism, threads).
        certificate["runtime"] = dict(runtime)
    validate_certificate(certificate)
    return certificate


def corrected_best_epoch(cert: Mapping[str, Any]) -> int | None:
    """The 1-based best epoch of a certificate written when ``best_epoch`` was a 0-based index.

    ``best_metrics`` holds the history's values at the best epoch, so it tells the two counts
    apart: None when the certificate already counts from 1 (or cannot be told), else the fix.
    """
    history, best = cert.get("training_history") or {}, cert.get("best_metrics") or {}
    losses, value, stored = history.get("val_loss"), best.get("val_loss"), cert.get("best_epoch")
    if not (isinstance(losses, list) and _is_number(value) and _is_int(stored)):
        return None
    if 1 <= stored <= len(losses) and losses[stored - 1] == value:
        return None
    if 0 <= stored < len(losses) and losses[stored] == value:
        return stored + 1
    return None


def correct_best_epoch_file(path: str | Path) -> int | None:
    """Rewrite one certificate file (or a batched list of them) counting ``best_epoch`` from 1.

    Returns the corrected best epoch of a single certificate (None when nothing changed).
    """
    data = read_json(path)
    corrected = None
    for cert in data if isinstance(data, list) else [data]:
        fixed = corrected_best_epoch(cert) if isinstance(cert, dict) else None
        if fixed is not None:
            cert["best_epoch"] = corrected = fixed
    if corrected is not None:
        write_json(path, data)
    return None if isinstance(data, list) else corrected
