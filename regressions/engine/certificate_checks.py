"""The check of a regression training certificate against the Epoca contract.

Every problem is named by the certificate's id, the field and the rule it breaks.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any, TypeGuard

from epochs.engine.epoch_file_contract import METRICS as METRIC_NAMES
from epochs.engine.epoch_file_contract import SUMMARY_KEYS

from .architectures import KERAS_MODEL_PARAMS
from .discovery import DISCOVERY_KEYS, POINTS_HIST_SAMPLES
from .ids import is_regression_id

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
OPTIONAL_KEYS = ("holdout", "runtime")
RUNTIME_KEYS = ("device", "tensorflow", "cuda_version", "cudnn_version", "op_determinism", "threads")


class CertificateError(ValueError):
    """A certificate (or what it is built from) breaks the Epoca contract."""


# ---------------------------------------------------------------- parts


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
    if "runtime" in cert:
        _validate_runtime(cert["runtime"], cert_id)


def _validate_runtime(runtime: Any, cert_id: Any) -> None:
    _check_keys(runtime, RUNTIME_KEYS, cert_id, "runtime", exact=False)
    for key in ("device", "tensorflow"):
        _check(isinstance(runtime[key], str) and runtime[key], cert_id, f"runtime.{key}", "expected a string")
    for key in ("cuda_version", "cudnn_version"):
        _check(
            runtime[key] is None or isinstance(runtime[key], str),
            cert_id,
            f"runtime.{key}",
            "expected a string or null",
        )
    _check(isinstance(runtime["op_determinism"], bool), cert_id, "runtime.op_determinism", "expected true or false")
    seconds = runtime.get("epoch_seconds", [])
    _check(
        isinstance(seconds, list) and all(_is_number(v) and v >= 0 for v in seconds),
        cert_id,
        "runtime.epoch_seconds",
        "expected a list of seconds",
    )
    threads = runtime["threads"]
    _check(
        isinstance(threads, dict) and all(_is_int(v) and v >= 0 for v in threads.values()),
        cert_id,
        "runtime.threads",
        "expected an object of thread counts (0: TensorFlow's default)",
    )


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
