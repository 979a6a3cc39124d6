"""What the regression page's tabs show of a certificate (Epoca GUI's certificate tabs, EPOCA_CONTRACT.md §5.1).

Pure functions of a certificate: rows of label and text, rounded and with their units, ready for
the template (which only lays them out).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from regressions.workbench import flattened, shown_value

LEARNING_RATE_SCHEDULE = "InverseTimeDecay (-1)"
LAYER_LISTS = (
    ("units", "Units"),
    ("filters", "Filters"),
    ("kernel_sizes", "Kernel sizes"),
    ("pool_sizes", "Pool sizes"),
    ("activations", "Activations"),
)


def iso_utc(ms: int | float | None) -> str:
    """Epoch milliseconds as UTC ISO 8601: ``2021-01-05T12:00:00Z``."""
    if ms is None:
        return "—"
    return datetime.fromtimestamp(int(ms) / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def number(value: Any, digits: int = 2, unit: str = "") -> str:
    if value is None:
        return "—"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}{unit}"
    return f"{float(value):,.{digits}f}{unit}"


def learning_rate(value: float) -> str:
    return LEARNING_RATE_SCHEDULE if value == -1 else f"{value:g}"


def summary(cert: Mapping[str, Any]) -> list[tuple[str, str]]:
    d, evaluation = cert["discovery"], cert["test_ds_evaluation"]
    epochs = len(cert["training_history"].get("loss", []))
    return [
        ("Regression", cert["id"]),
        ("Description", cert.get("description") or "—"),
        ("Discovery accuracy", number(d["accuracy"], 2, " %")),
        ("Keras model", cert["keras_model_config"]["name"]),
        ("Optimizer", f"{cert['optimizer']} (learning rate {learning_rate(cert['learning_rate'])})"),
        ("Loss / metric", f"{cert['loss']} / {cert['metric']}"),
        (
            "Test MAE / MSE (normalised scale)",
            f"{evaluation['mean_absolute_error']:.6f} / {evaluation['mean_squared_error']:.8f}",
        ),
        ("Training start", iso_utc(cert.get("training_start"))),
        ("Training end", iso_utc(cert.get("training_end"))),
        ("Training time", number(cert.get("training_seconds"), 1, " s")),
        ("Best epoch", f"{cert['best_epoch']} of {epochs}"),
        ("Seed", str(cert.get("seed", "—"))),
    ]


def dataset_summary(cert: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The "Dataset Summary": date range, sizes, and ``describe()`` of the normalised closes."""
    s = cert["training_data_summary"]
    train, test = int(cert["train_size"]), int(cert["test_size"])
    return [
        ("From", iso_utc(cert["training_data_start"])),
        ("To", iso_utc(cert["training_data_end"])),
        ("Train size", f"{train:,} windows"),
        ("Test size", f"{test:,} windows"),
        ("Total", f"{train + test:,} windows"),
        *[
            (name, number(s[key], 6))
            for key, name in (
                ("mean", "Mean"),
                ("std", "Std"),
                ("min", "Min"),
                ("25%", "25 %"),
                ("50%", "50 % (median)"),
                ("75%", "75 %"),
                ("max", "Max"),
            )
            if key in s
        ],
    ]


def hyperparameters(cert: Mapping[str, Any], config: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The network's layer lists first (as the GUI's training tab), then every other config key."""
    keras = {**cert["keras_model_config"], **config.get("keras_model", {})}
    rows = [(label, ", ".join(str(v) for v in keras[key])) for key, label in LAYER_LISTS if keras.get(key)]
    rows += [
        ("Network", str(keras.get("name", "—"))),
        ("Lookback", f"{config.get('lookback', keras.get('lookback'))} candles"),
        ("Predictions", f"{config.get('predictions', keras.get('predictions'))} candles"),
        ("Optimizer", str(config.get("optimizer", cert["optimizer"]))),
        ("Learning rate", learning_rate(cert["learning_rate"])),
        ("Loss", cert["loss"]),
        ("Metric", cert["metric"]),
    ]
    shown = {"id", "description", "lookback", "predictions", "learning_rate", "optimizer", "loss", "metric"}
    shown |= {f"keras_model.{key}" for key, _ in LAYER_LISTS} | {"keras_model.name"}
    rows += [(key, str(value)) for key, value in sorted(flattened(config).items()) if key not in shown]
    return rows


def _side_rows(d: Mapping[str, Any], side: str) -> list[tuple[str, str]]:
    return [
        ("Predictions", number(d[f"{side}_num"])),
        ("Outcomes", number(d[f"{side}_outcome_num"])),
        ("Accuracy", number(d[f"{side}_accuracy"], 2, " %")),
        ("Min", number(d.get(f"{side}_min"), 4, " %")),
        ("Mean", number(d.get(f"{side}_mean"), 4, " %")),
        ("Median", number(d.get(f"{side}_median"), 4, " %")),
        ("Max", number(d.get(f"{side}_max"), 4, " %")),
        ("Successful mean", number(d.get(f"{side}_successful_mean"), 4, " %")),
        ("Successful median", number(d.get(f"{side}_successful_median"), 4, " %")),
        ("Unsuccessful mean", number(d.get(f"{side}_unsuccessful_mean"), 4, " %")),
        ("Unsuccessful median", number(d.get(f"{side}_unsuccessful_median"), 4, " %")),
    ]


def discovery_tables(cert: Mapping[str, Any]) -> list[dict]:
    """Per side (increase, decrease): counts, accuracy and the predicted changes' statistics."""
    d = cert["discovery"]
    increase, decrease = _side_rows(d, "increase"), _side_rows(d, "decrease")
    return [
        {"label": label, "increase": inc, "decrease": dec}
        for (label, inc), (_, dec) in zip(increase, decrease, strict=True)
    ]


def epoch_rows(cert: Mapping[str, Any]) -> dict:
    """The per-epoch table: loss, metric, val_loss and val_metric of every epoch, the best marked."""
    history, metric = cert["training_history"], cert["metric"]
    columns = ["loss", metric, "val_loss", f"val_{metric}"]
    series: Sequence[Sequence[float]] = [history.get(key, []) for key in columns]
    count = len(history.get("loss", []))
    return {
        "columns": columns,
        "rows": [
            {
                "epoch": i + 1,
                "best": i + 1 == cert["best_epoch"],
                "values": [
                    f"{values[i]:.6g}" if i < len(values) and values[i] is not None else "—" for values in series
                ],
            }
            for i in range(count)
        ],
    }


def ebe_breakdown(ebe: Mapping[str, Any]) -> list[dict]:
    """The EBE items as table rows, each value shown rounded with its unit (accuracies in %)."""
    rows = []
    for category in ebe["categories"]:
        for item in category["items"]:
            rows.append({"category": category["name"], **item, "shown": shown_value(item)})
        rows.append({"category": category["name"], "total": True, **category})
    return rows
