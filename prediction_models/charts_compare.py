"""Plotly figures of several built models side by side (the Epoca GUI's multi-model views, EPOCA_CONTRACT.md §5.1).

Dicts ready for the ``plotly`` template tag: each model's balance history on one time axis, bars of
its figures, and how often each hyper-parameter value occurs among the models compared.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from core.colours import DECREASE, INCREASE, LONG, REFERENCE, REFERENCE_DARK, SELECTION, SHORT
from prediction_models.engine.report import iso

MARGIN = {"l": 70, "r": 20, "t": 50, "b": 60}
# The figures compared in bars: (title, read from a certificate, unit of the axis).
BARS = (
    ("Profit", lambda cert: cert["backtest"]["profit"], "USDT"),
    ("Accuracy", lambda cert: cert["backtest"]["accuracy"], "%"),
    ("Positions", lambda cert: len(cert["backtest"]["positions"]), "count"),
    ("Fees", lambda cert: cert["backtest"]["fees"], "USDT"),
)
# The hyper-parameters counted: (title, read from a certificate's ``model``).
HYPER_PARAMETERS = (
    ("Price change requirement (pcr, %)", lambda model: model.get("price_change_requirement")),
    ("Min sum function (msf)", lambda model: model.get("min_sum_function")),
    ("Min sum adjustment factor (msaf)", lambda model: model.get("min_sum_adjustment_factor")),
    ("Regressions per model", lambda model: len(model.get("regressions") or [])),
)


def _short(model_id: str) -> str:
    return f"…{model_id[-8:]}"


def _axis(title: str, **more) -> dict:
    return {"title": {"text": title}, "automargin": True, **more}


def balance_figure(certs: list[dict]) -> dict:
    """The balance after each closed position of every model, from its period's start (selection period)."""
    data = []
    for cert in certs:
        backtest = cert["backtest"]
        times = [cert["test_ds_start"], *(p["ct"] for p in backtest["positions"]), cert["test_ds_end"]]
        balances = [backtest["initial_balance"], *(p["b"] for p in backtest["positions"]), backtest["final_balance"]]
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "line": {"shape": "hv"},
                "x": [iso(t) for t in times],
                "y": [round(b, 2) for b in balances],
                "name": _short(cert["id"]),
                "hovertemplate": f"{cert['id']}<br>%{{x}}<br>balance %{{y:.2f}} USDT<extra></extra>",
            }
        )
    return {
        "data": data,
        "layout": {
            "title": {"text": "Balance after each closed position (selection period)"},
            "xaxis": _axis("time (UTC)"),
            "yaxis": _axis("balance (USDT)"),
            "height": 420,
            "legend": {"orientation": "h"},
            "margin": MARGIN,
        },
    }


def _grouped(certs: list[dict], title: str, y_title: str, groups: list[tuple[str, str, Callable[[dict], Any]]]) -> dict:
    """Grouped bars: one group per model, a labelled bar per ``(name, colour, read)`` of ``groups``."""
    names = [_short(cert["id"]) for cert in certs]
    data = []
    for name, colour, read in groups:
        values = [read(cert) for cert in certs]
        data.append(
            {
                "type": "bar",
                "x": names,
                "y": values,
                "name": name,
                "text": [f"{v:.2f}" if isinstance(v, float) else str(v) for v in values],
                "textposition": "auto",
                "marker": {"color": colour},
            }
        )
    return {
        "data": data,
        "layout": {
            "title": {"text": title},
            "barmode": "group",
            "xaxis": _axis("model"),
            "yaxis": _axis(y_title),
            "height": 380,
            "legend": {"orientation": "h", "y": -0.35},
            "margin": {**MARGIN, "b": 110},
        },
    }


def discovery_figures(certs: list[dict]) -> dict:
    """The multi-discovery views of the selection period: points, accuracy, predictions, successful
    predictions and prediction ranges (the Epoca GUI's, EPOCA_CONTRACT.md §5.1)."""

    def d(key: str, absolute: bool = False):
        return lambda cert: abs(cert["discovery"][key]) if absolute else cert["discovery"][key]

    views = {
        "points": ("Discovery points", "points", [("points", SELECTION, d("points"))], ["points"]),
        "accuracy": (
            "Discovery accuracy",
            "accuracy (%)",
            [
                ("increase", INCREASE, d("increase_accuracy")),
                ("decrease", DECREASE, d("decrease_accuracy")),
                ("overall", REFERENCE_DARK, d("accuracy")),
            ],
            ["increase_accuracy", "decrease_accuracy", "accuracy"],
        ),
        "predictions": (
            "Predictions",
            "predictions (count)",
            [
                ("increase", INCREASE, d("increase_num")),
                ("decrease", DECREASE, d("decrease_num")),
                ("total", REFERENCE_DARK, lambda c: c["discovery"]["increase_num"] + c["discovery"]["decrease_num"]),
                ("neutral", REFERENCE, d("neutral_num")),
            ],
            ["increase_num", "decrease_num", "neutral_num"],
        ),
        "successful": (
            "Successful predictions: mean feature sum",
            "mean feature sum (|decrease|)",
            [
                ("increase", INCREASE, d("increase_successful_mean")),
                ("|decrease|", DECREASE, d("decrease_successful_mean", absolute=True)),
            ],
            ["increase_successful_mean", "decrease_successful_mean"],
        ),
        "ranges": (
            "Prediction ranges: feature sums",
            "feature sum",
            [
                (f"{side} {stat}", colour, d(f"{side}_{stat}"))
                for side, colour in (("increase", INCREASE), ("decrease", DECREASE))
                for stat in ("min", "mean", "max")
            ],
            [f"{side}_{stat}" for side in ("increase", "decrease") for stat in ("min", "mean", "max")],
        ),
    }
    return {
        f"discovery-{key}": _grouped(certs, title, y_title, groups)
        for key, (title, y_title, groups, needed) in views.items()
        # A view needs its figures in every certificate, and a number in each (an empty list has none).
        if all(isinstance(cert["discovery"].get(k), (int, float)) for cert in certs for k in needed)
    }


def bar_figures(certs: list[dict]) -> dict:
    """One bar chart per figure (profit, accuracy, positions, fees), a labelled bar per model;
    positions as longs, shorts and total."""
    names = [_short(cert["id"]) for cert in certs]
    figures = {}
    for title, read, unit in BARS:
        if title == "Positions":
            figures["positions"] = _grouped(
                certs,
                "Positions per model (selection period)",
                "positions (count)",
                [
                    ("long", LONG, lambda c: c["backtest"]["increase_num"]),
                    ("short", SHORT, lambda c: c["backtest"]["decrease_num"]),
                    ("total", REFERENCE_DARK, lambda c: len(c["backtest"]["positions"])),
                ],
            )
            continue
        values = [read(cert) for cert in certs]
        figures[title.lower()] = {
            "data": [
                {
                    "type": "bar",
                    "x": names,
                    "y": values,
                    "text": [f"{v:.2f}" if isinstance(v, float) else str(v) for v in values],
                    "textposition": "auto",
                    "marker": {"color": SELECTION},
                    "name": title.lower(),
                    "hovertemplate": f"%{{x}}: %{{y}} {unit}<extra></extra>",
                }
            ],
            "layout": {
                "title": {"text": f"{title} per model (selection period)"},
                "xaxis": _axis("model"),
                "yaxis": _axis(f"{title.lower()} ({unit})"),
                "height": 320,
                "margin": MARGIN,
            },
        }
    return figures


def hyper_parameter_figures(certs: list[dict]) -> dict:
    """How many of the models compared use each value of each hyper-parameter."""
    figures = {}
    for index, (title, read) in enumerate(HYPER_PARAMETERS):
        counts = Counter(read(cert.get("model") or {}) for cert in certs)
        values = sorted((v for v in counts if v is not None), key=lambda v: (isinstance(v, str), v))
        figures[f"hyper-{index}"] = {
            "data": [
                {
                    "type": "bar",
                    "x": [str(v) for v in values],
                    "y": [counts[v] for v in values],
                    "text": [str(counts[v]) for v in values],
                    "textposition": "auto",
                    "marker": {"color": LONG if index % 2 == 0 else REFERENCE_DARK},
                    "name": title,
                }
            ],
            "layout": {
                "title": {"text": title},
                "xaxis": _axis("value", type="category"),
                "yaxis": _axis("models (count)", dtick=1),
                "height": 300,
                "margin": MARGIN,
            },
        }
    return {key: figure for key, figure in figures.items() if figure["data"][0]["x"]}
