"""Regression training certificates (Epoca's ``IRegressionTrainingCertificate``) and their check.

The certificate keeps every key and type the Epoca GUI reads (history and evaluation keyed by
full metric names, capitalised optimizer name, a ``units`` list even for CNNs, 10 points-hist
samples) plus reproducibility extras: ``best_epoch``, ``best_metrics``, ``training_seconds``,
``seed`` and ``package_versions``. NaN and Infinity are refused: Epoca cannot parse Infinity
and a NaN metric means the training itself failed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, TypeGuard

import numpy as np
import pandas as pd

from core.files import read_json, write_json
from epochs.engine.epoch_file_contract import METRICS as METRIC_NAMES
from epochs.engine.epoch_file_contract import SUMMARY_KEYS

from .architectures import KERAS_MODEL_PARAMS
from .discovery import DISCOVERY_KEYS, POINTS_HIST_SAMPLES
from .ids import is_regression_id

__all__ = [
    "CERTIFICATE_KEYS",
    "METRIC_NAMES",
    "OPTIMIZER_CLASS_NAMES",
    "CertificateError",
    "build_certificate",
    "certificate_keras_model_config",
    "dataset_summary",
    "full_history",
    "model_summary",
    "validate_certificate",
]

_SHORT_METRICS = {"mae": "mean_absolute_error", "mse": "mean_squared_error"}
OPTIMIZER_CLASS_NAMES = {"adam": "Adam", "rmsprop": "RMSprop"}
CERTIFICATE_KEYS = (
    "id",
    "description",
    "training_data_start",
    "training_data_end",
    "train_size",
    "test_size",
    "training_data_summary",
    "learning_rate",
    "optimizer",
    "loss",
    "metric",
    "keras_model_config",
    "training_start",
    "training_end",
    "training_history",
    "test_ds_evaluation",
    "discovery",
    "regression_config",
    "best_epoch",
    "best_metrics",
    "training_seconds",
    "seed",
    "package_versions",
)

# Keys added after the original's (EPOCA_CONTRACT.md §1: keys are only added).
OPTIONAL_KEYS = ("holdout",)


class CertificateError(ValueError):
    """A certificate (or what it is built from) breaks the Epoca contract."""


# ---------------------------------------------------------------- parts


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
    validate_certificate(certificate)
    return certificate


# ---------------------------------------------------------------- validation


def _is_number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _number_list(value: Any) -> bool:
    return isinstance(value, list) and all(_is_number(v) for v in value)


def _find_non_finite(value: Any, path: str) -> str | None:
    if isinstance(value, float) and not math.isfinite(value):
        return path
    items: Iterable[tuple[Any, Any]]
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, (list, tuple)):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        found = _find_non_finite(item, f"{path}.{key}" if isinstance(key, str) else f"{path}[{key}]")
        if found:
            return found
    return None


def _check(condition: object, cert_id: Any, field: str, rule: str) -> None:
    if not condition:
        raise CertificateError(f"certificate {cert_id!r}: {field}: {rule}")


def _check_keys(obj: Any, keys: tuple | set, cert_id: Any, field: str, *, exact: bool = True) -> None:
    _check(isinstance(obj, dict), cert_id, field, "expected an object")
    missing = [k for k in keys if k not in obj]
    _check(not missing, cert_id, field, f"missing keys {missing}")
    if exact:
        extra = sorted(set(obj) - set(keys))
        _check(not extra, cert_id, field, f"unexpected keys {extra}")


_TOP_LEVEL: dict[str, tuple[Callable[[Any], bool], str]] = {
    "id": (is_regression_id, "a regression id KR_<TEMPLATE>_<32 hex>, 30-200 chars"),
    "description": (lambda v: isinstance(v, str), "a string"),
    "training_data_start": (_is_int, "an integer (ms)"),
    "training_data_end": (_is_int, "an integer (ms)"),
    "train_size": (lambda v: _is_int(v) and v > 0, "a positive integer"),
    "test_size": (lambda v: _is_int(v) and v > 0, "a positive integer"),
    "learning_rate": (lambda v: _is_number(v) and (v == -1 or v > 0), "-1 or a positive number"),
    "optimizer": (lambda v: v in OPTIMIZER_CLASS_NAMES.values(), f"one of {list(OPTIMIZER_CLASS_NAMES.values())}"),
    "loss": (lambda v: v in METRIC_NAMES, f"one of {list(METRIC_NAMES)}"),
    "metric": (lambda v: v in METRIC_NAMES, f"one of {list(METRIC_NAMES)}"),
    "training_start": (_is_int, "an integer (ms)"),
    "training_end": (_is_int, "an integer (ms)"),
    "best_epoch": (lambda v: _is_int(v) and v >= 1, "an integer >= 1"),
    "training_seconds": (lambda v: _is_number(v) and v >= 0, "a number >= 0"),
    "seed": (_is_int, "an integer"),
    "package_versions": (
        lambda v: isinstance(v, dict) and all(isinstance(x, str) for x in v.values()),
        "an object of version strings",
    ),
}


def validate_certificate(cert: Any) -> None:
    """Raise :class:`CertificateError` unless ``cert`` matches the Epoca certificate contract."""
    cert_id = cert.get("id") if isinstance(cert, dict) else None
    _check_keys(cert, CERTIFICATE_KEYS, cert_id, "(root)", exact=False)
    extra = sorted(set(cert) - set(CERTIFICATE_KEYS) - set(OPTIONAL_KEYS))
    _check(not extra, cert_id, "(root)", f"unexpected keys {extra}")
    bad = _find_non_finite(cert, "certificate")
    _check(bad is None, cert_id, str(bad), "NaN or Infinity is not allowed")
    for key, (ok, rule) in _TOP_LEVEL.items():
        _check(ok(cert[key]), cert_id, key, f"expected {rule}, got {cert[key]!r:.80}")
    _check(
        cert["training_data_start"] < cert["training_data_end"],
        cert_id,
        "training_data_end",
        "must be after training_data_start",
    )
    _check(cert["training_start"] <= cert["training_end"], cert_id, "training_end", "must not precede training_start")

    summary = cert["training_data_summary"]
    _check_keys(summary, SUMMARY_KEYS, cert_id, "training_data_summary")
    _check(all(_is_number(v) for v in summary.values()), cert_id, "training_data_summary", "values must be numbers")

    kmc = cert["keras_model_config"]
    _check_keys(kmc, ("name", "units", "lookback", "predictions"), cert_id, "keras_model_config", exact=False)
    extra = sorted(set(kmc) - {"name", "lookback", "predictions", *KERAS_MODEL_PARAMS})
    _check(not extra, cert_id, "keras_model_config", f"unexpected keys {extra}")
    _check(isinstance(kmc["units"], list), cert_id, "keras_model_config.units", "must be a list ([] when unused)")
    _check(
        cert["id"].startswith(kmc["name"] + "_") or cert["id"].startswith("KR_UNIT_TEST_"),
        cert_id,
        "keras_model_config.name",
        "the id must start with the template name",
    )

    history = cert["training_history"]
    needed = ("loss", "val_loss", cert["metric"], "val_" + cert["metric"])
    _check_keys(history, needed, cert_id, "training_history", exact=False)
    allowed = {"loss", "val_loss", *METRIC_NAMES, *("val_" + m for m in METRIC_NAMES)}
    _check(
        set(history) <= allowed, cert_id, "training_history", f"keys must be full metric names, got {sorted(history)}"
    )
    _check(
        all(_number_list(v) and v for v in history.values()),
        cert_id,
        "training_history",
        "values must be non-empty number lists",
    )
    _check(len({len(v) for v in history.values()}) == 1, cert_id, "training_history", "lists must have equal length")
    trained = len(history["loss"])
    _check(
        cert["best_epoch"] <= trained,
        cert_id,
        "best_epoch",
        f"expected 1 to {trained} (epochs are counted from 1), got {cert['best_epoch']}",
    )

    evaluation = cert["test_ds_evaluation"]
    _check_keys(evaluation, METRIC_NAMES, cert_id, "test_ds_evaluation")
    _check(
        all(_is_number(v) and v >= 0 for v in evaluation.values()),
        cert_id,
        "test_ds_evaluation",
        "values must be numbers >= 0",
    )
    _check(
        isinstance(cert["best_metrics"], dict) and all(_is_number(v) for v in cert["best_metrics"].values()),
        cert_id,
        "best_metrics",
        "expected an object of numbers",
    )

    _validate_discovery(cert["discovery"], cert_id)
    _validate_regression_config(cert, cert_id)
    if "holdout" in cert:
        _validate_holdout(cert["holdout"], cert_id)


def _validate_holdout(holdout: Any, cert_id: Any) -> None:
    _check_keys(holdout, ("test_size", "refused_windows", "test_ds_evaluation", "discovery"), cert_id, "holdout")
    for key in ("test_size", "refused_windows"):
        _check(_is_int(holdout[key]) and holdout[key] >= 0, cert_id, f"holdout.{key}", "expected an integer >= 0")
    if holdout["test_size"] == 0:
        _check(
            holdout["test_ds_evaluation"] is None and holdout["discovery"] is None,
            cert_id,
            "holdout",
            "without a window the figures must be null",
        )
        return
    _check_keys(holdout["test_ds_evaluation"], METRIC_NAMES, cert_id, "holdout.test_ds_evaluation")
    _validate_discovery(holdout["discovery"], cert_id)


def _validate_discovery(discovery: Any, cert_id: Any) -> None:
    _check_keys(discovery, DISCOVERY_KEYS, cert_id, "discovery")
    for key in DISCOVERY_KEYS:
        value = discovery[key]
        if key.endswith("_list") or key == "points_hist":
            _check(_number_list(value), cert_id, f"discovery.{key}", "expected a list of numbers")
        elif key.endswith("_num"):
            _check(_is_int(value) and value >= 0, cert_id, f"discovery.{key}", "expected an integer >= 0")
        else:
            _check(_is_number(value), cert_id, f"discovery.{key}", "expected a number")
    _check(
        len(discovery["points_hist"]) == POINTS_HIST_SAMPLES,
        cert_id,
        "discovery.points_hist",
        f"expected {POINTS_HIST_SAMPLES} samples",
    )
    for key in ("increase_accuracy", "decrease_accuracy", "accuracy"):
        _check(0 <= discovery[key] <= 100, cert_id, f"discovery.{key}", "expected a percentage 0-100")


def _validate_regression_config(cert: dict, cert_id: Any) -> None:
    rc = cert["regression_config"]
    _check_keys(rc, ("id", "description", "lookback", "predictions", "summary"), cert_id, "regression_config")
    _check(
        rc["id"] == cert["id"] and rc["description"] == cert["description"],
        cert_id,
        "regression_config",
        "id/description differ from the certificate's",
    )
    kmc = cert["keras_model_config"]
    _check(
        rc["lookback"] == kmc["lookback"] and rc["predictions"] == kmc["predictions"],
        cert_id,
        "regression_config",
        "lookback/predictions differ from keras_model_config",
    )
    summary = rc["summary"]
    keys = (
        "model_class",
        "optimizer_config",
        "loss_config",
        "metrics",
        "input_shape",
        "output_shape",
        "layers",
        "total_params",
        "trainable_params",
        "non_trainable_params",
    )
    _check_keys(summary, keys, cert_id, "regression_config.summary")
    _check(
        summary["model_class"] == "Sequential",
        cert_id,
        "regression_config.summary.model_class",
        "expected 'Sequential'",
    )
    for key in ("optimizer_config", "loss_config"):
        value = summary[key]
        _check(
            isinstance(value, dict) and "name" in value and all(isinstance(v, str) for v in value.values()),
            cert_id,
            f"regression_config.summary.{key}",
            "expected an object of strings with a name",
        )
    _check(
        summary["optimizer_config"]["name"] == cert["optimizer"],
        cert_id,
        "regression_config.summary.optimizer_config.name",
        f"expected {cert['optimizer']!r}",
    )
    _check(
        isinstance(summary["metrics"], list) and summary["metrics"] == ["loss", cert["metric"]],
        cert_id,
        "regression_config.summary.metrics",
        f"expected ['loss', {cert['metric']!r}]",
    )
    for key in ("input_shape", "output_shape"):
        value = summary[key]
        _check(
            isinstance(value, list) and all(v is None or _is_int(v) for v in value),
            cert_id,
            f"regression_config.summary.{key}",
            "expected a list of integers/null",
        )
    _check(
        summary["input_shape"][1:] == [kmc["lookback"]],
        cert_id,
        "regression_config.summary.input_shape",
        "must be [null, lookback]",
    )
    _check(
        summary["output_shape"][1:] == [kmc["predictions"]],
        cert_id,
        "regression_config.summary.output_shape",
        "must be [null, predictions]",
    )
    layers = summary["layers"]
    _check(isinstance(layers, list) and layers, cert_id, "regression_config.summary.layers", "expected a list")
    for i, layer in enumerate(layers):
        where = f"regression_config.summary.layers[{i}]"
        _check_keys(layer, ("name", "params", "input_shape", "output_shape", "trainable"), cert_id, where)
        _check(
            isinstance(layer["name"], str) and _is_int(layer["params"]) and isinstance(layer["trainable"], bool),
            cert_id,
            where,
            "name string, params integer, trainable boolean",
        )
    for key in ("total_params", "trainable_params", "non_trainable_params"):
        _check(
            _is_int(summary[key]) and summary[key] >= 0,
            cert_id,
            f"regression_config.summary.{key}",
            "expected an integer >= 0",
        )
    _check(
        summary["total_params"] == summary["trainable_params"] + summary["non_trainable_params"],
        cert_id,
        "regression_config.summary.total_params",
        "must equal trainable + non-trainable",
    )


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
