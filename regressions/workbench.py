"""What the leaderboard and the compare page show: EBE breakdowns, Best/Worst badges, config diffs.

Pure functions of certificates and configs (the views read the files, these shape them).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from regressions.engine.ebe import regression_evaluation

# metric -> (label, higher is better)
COMPARED_METRICS = {
    "ebe_points": ("EBE points", True),
    "test_mae": ("Test MAE", False),
    "test_mse": ("Test MSE", False),
    "discovery_points": ("Discovery points", True),
    "accuracy": ("Discovery accuracy (%)", True),
    "increase_accuracy": ("Increase accuracy (%)", True),
    "decrease_accuracy": ("Decrease accuracy (%)", True),
    "epochs": ("Epochs trained", None),
}


def certificate_metrics(cert: Mapping[str, Any], ebe: Mapping[str, Any]) -> dict:
    d = cert["discovery"]
    return {
        "ebe_points": ebe["points"],
        "test_mae": cert["test_ds_evaluation"]["mean_absolute_error"],
        "test_mse": cert["test_ds_evaluation"]["mean_squared_error"],
        "discovery_points": d["points"],
        "accuracy": d["accuracy"],
        "increase_accuracy": d["increase_accuracy"],
        "decrease_accuracy": d["decrease_accuracy"],
        "epochs": len(cert["training_history"]["loss"]),
    }


def badges(
    rows: Sequence[Mapping[str, Any]], metrics: Mapping[str, tuple[str, bool | None]] = COMPARED_METRICS
) -> dict[str, dict[str, str]]:
    """For each metric (``metrics``: metric -> (label, higher is better; None: not ranked)), the id of
    the best and of the worst row (as the GUI's Best/Worst badges); rows without a value are left out."""
    result: dict[str, dict[str, str]] = {}
    for metric, (_, higher) in metrics.items():
        if higher is None:
            continue
        valued = [r for r in rows if r["metrics"].get(metric) is not None]
        if len(valued) < 2:
            continue
        ranked = sorted(valued, key=lambda r: r["metrics"][metric], reverse=higher)
        if ranked[0]["metrics"][metric] != ranked[-1]["metrics"][metric]:
            result[metric] = {"best": ranked[0]["id"], "worst": ranked[-1]["id"]}
    return result


def compared(certs: Sequence[Mapping[str, Any]]) -> list[dict]:
    rows = []
    for cert in certs:
        ebe = regression_evaluation(cert)
        rows.append({"id": cert["id"], "cert": cert, "ebe": ebe, "metrics": certificate_metrics(cert, ebe)})
    return rows


def flattened(config: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in config.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flattened(value, f"{name}."))
        elif isinstance(value, list):
            flat[name] = ", ".join(str(v) for v in value)
        else:
            flat[name] = value
    return flat


DIFF_SKIP = {"id", "description"}


def config_diff(configs: Sequence[Mapping[str, Any]]) -> list[dict]:
    """Every config key, with each config's value, marking the keys whose values differ."""
    flats = [flattened(c) for c in configs]
    keys = sorted({k for flat in flats for k in flat} - DIFF_SKIP)
    rows = []
    for key in keys:
        values = [flat.get(key, "—") for flat in flats]
        rows.append({"key": key, "values": values, "differs": len({str(v) for v in values}) > 1})
    return sorted(rows, key=lambda r: (not r["differs"], r["key"]))


def shown_value(item: Mapping[str, Any]) -> str:
    """An EBE item's value as the pages show it: rounded, accuracies in %, counts ("40 / 38") as they are."""
    value = item["value"]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{value:.2f} %" if "accuracy" in item["name"].lower() else f"{value:.6g}"
    return "—" if value is None else str(value)


def ebe_table(rows: Sequence[Mapping[str, Any]]) -> list[dict]:
    """One line per EBE item, with each compared certificate's points, value and state."""
    if not rows:
        return []
    lines = []
    for c_index, category in enumerate(rows[0]["ebe"]["categories"]):
        for i_index, item in enumerate(category["items"]):
            cells = [r["ebe"]["categories"][c_index]["items"][i_index] for r in rows]
            cells = [{**cell, "shown": shown_value(cell)} for cell in cells]
            lines.append(
                {"category": category["name"], "name": item["name"], "max_points": item["max_points"], "cells": cells}
            )
    return lines
