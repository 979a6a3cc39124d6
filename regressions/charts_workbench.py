"""Plotly figures of the leaderboard and the compare page (the Epoca GUI's multi-certificate views)."""

from __future__ import annotations

from collections import Counter

from core.colours import DECREASE, EBE_STATES, INCREASE, REFERENCE, REFERENCE_DARK

# Figures are plain dicts in plotly.js's own format: building plotly.py objects for a few
# thousand values costs more than the page's queries.

# One colour convention on every page (core.colours): increase like long, decrease like short,
# overall and neutral figures in the reference greys, EBE states in their own scale.
OVERALL, NEUTRAL = REFERENCE_DARK, REFERENCE
STATE_COLOURS = EBE_STATES
MARGIN = {"l": 60, "r": 20, "t": 50, "b": 50}


def _figure(traces: list[dict], **layout) -> dict:
    return {"data": traces, "layout": layout}


def _axis(title: str, **more) -> dict:
    return {"title": {"text": title}, "automargin": True, **more}


def _short(regression_id: str) -> str:
    """``KR_CNN_S4_5060a77f…``: the template and the start of the hash, enough to tell bars apart."""
    head, _, tail = regression_id.rpartition("_")
    return f"{head}_{tail[:8]}"


def ebe_bars(rows: list[tuple[str, float, str]], title: str = "EBE points") -> dict:
    """One horizontal bar per certificate, coloured by its state; ``rows``: (id, points, state)."""
    rows = [r for r in rows if r[1] is not None]
    if not rows:
        return {}
    bars = {
        "type": "bar",
        "orientation": "h",
        "y": [_short(r[0]) for r in rows],
        "x": [r[1] for r in rows],
        "customdata": [r[0] for r in rows],
        "marker": {"color": [STATE_COLOURS.get(r[2], NEUTRAL) for r in rows]},
        "text": [f"{r[1]:.2f}" for r in rows],
        "textposition": "auto",
        "hovertemplate": "%{customdata}<br>%{x:.2f} EBE points<extra></extra>",
    }
    return _figure(
        [bars],
        title={"text": title},
        xaxis=_axis("EBE points (of 100)", range=[0, 100]),
        yaxis=_axis("regression", autorange="reversed"),
        height=max(300, 22 * len(rows) + 120),
        margin={"l": 220, "r": 20, "t": 50, "b": 50},
    )


def count_bars(counter: Counter, title: str, axis: str) -> dict:
    if not counter:
        return {}
    labels = [str(k) for k in counter]
    bars = {
        "type": "bar",
        "x": labels,
        "y": list(counter.values()),
        "text": list(counter.values()),
        "textposition": "auto",
        "marker": {"color": OVERALL},
    }
    return _figure(
        [bars],
        title={"text": title},
        xaxis=_axis(axis, type="category"),
        yaxis=_axis("regressions"),
        height=320,
        margin=MARGIN,
    )


def hyperparameter_figures(groups: list[dict], epochs_trained: list[tuple[str, int]]) -> dict:
    """Count bars of optimizers, learning rates, losses, networks and series; the capacity histogram; epochs per model.

    ``groups``: distinct hyper-parameter sets with their ``count`` (see ``leaderboard.hyperparameter_groups``).
    """
    figures = {}
    counts: dict[str, Counter] = {
        k: Counter() for k in ("optimizer", "learning_rate", "loss", "network", "series", "capacity")
    }
    for g in groups:
        n = g["count"]
        network, _, depth = g["template"][3:].rpartition("_")  # KR_<NETWORK>_S<n>: both come from the id
        counts["network"][network or g["template"][3:]] += n
        counts["series"][depth if depth.startswith("S") else "—"] += n
        counts["optimizer"][g["optimizer"]] += n
        counts["learning_rate"][g["learning_rate"]] += n
        counts["loss"][g["loss"]] += n
        counts["capacity"]["_".join(str(u) for u in (g["units"] or g["filters"]))] += n
    figures["optimizers"] = count_bars(counts["optimizer"], "Optimizers", "optimizer")
    figures["learning_rates"] = count_bars(
        Counter(dict(sorted(counts["learning_rate"].items()))), "Learning rates (-1: InverseTimeDecay)", "learning rate"
    )
    figures["losses"] = count_bars(counts["loss"], "Losses", "loss")
    figures["networks"] = count_bars(Counter(dict(sorted(counts["network"].items()))), "Networks", "network")
    figures["series"] = count_bars(Counter(dict(sorted(counts["series"].items()))), "Series (depth)", "series")
    figures["capacity"] = count_bars(
        Counter(dict(sorted(counts["capacity"].items()))), "Capacity (units, or filters, joined)", "units / filters"
    )
    if epochs_trained:
        bars = {
            "type": "bar",
            "x": [_short(i) for i, _ in epochs_trained],
            "y": [n for _, n in epochs_trained],
            "text": [n for _, n in epochs_trained],
            "textposition": "auto",
            "marker": {"color": OVERALL},
            "customdata": [i for i, _ in epochs_trained],
            "hovertemplate": "%{customdata}<br>%{y} epochs<extra></extra>",
        }
        figures["epochs"] = _figure(
            [bars],
            title={"text": "Epochs trained per model"},
            xaxis=_axis("regression"),
            yaxis=_axis("epochs"),
            height=340,
            margin={"l": 60, "r": 20, "t": 50, "b": 120},
        )
    return {k: v for k, v in figures.items() if v}


def compare_figures(rows: list[dict]) -> dict:
    """Overlaid learning curves and the multi-discovery bars of the compared certificates."""
    if not rows:
        return {}
    figures = {}
    for key, title in (("loss", "Loss per epoch"), ("metric", "Metric per epoch")):
        traces = []
        for row in rows:
            history, name = row["cert"]["training_history"], _short(row["id"])
            train = "loss" if key == "loss" else row["cert"]["metric"]
            epochs = list(range(1, len(history[train]) + 1))
            traces.append(
                {
                    "type": "scatter",
                    "mode": "lines",
                    "x": epochs,
                    "y": history[train],
                    "name": f"{name} {train}",
                    "legendgroup": name,
                }
            )
            traces.append(
                {
                    "type": "scatter",
                    "mode": "lines",
                    "x": epochs,
                    "y": history[f"val_{train}"],
                    "name": f"{name} val_{train}",
                    "legendgroup": name,
                    "line": {"dash": "dash"},
                }
            )
        figures[key] = _figure(
            traces,
            title={"text": title},
            xaxis=_axis("epoch"),
            yaxis=_axis("value (normalised scale)"),
            height=400,
            margin=MARGIN,
        )
    names = [_short(r["id"]) for r in rows]
    d = [r["cert"]["discovery"] for r in rows]

    def grouped(title, axis, series):
        traces = [
            {
                "type": "bar",
                "x": names,
                "y": values,
                "name": label,
                "marker": {"color": colour, "opacity": opacity},
                "text": [f"{v:.4g}" for v in values],
                "textposition": "auto",
            }
            for label, values, colour, opacity in ((*item, 1.0)[:4] for item in series)
        ]
        return _figure(
            traces,
            title={"text": title},
            barmode="group",
            xaxis=_axis("regression"),
            yaxis=_axis(axis),
            height=360,
            margin=MARGIN,
        )

    figures["ebe"] = ebe_bars([(r["id"], r["ebe"]["points"], r["ebe"]["state"]) for r in rows])
    figures["test"] = grouped(
        "Test dataset evaluation",
        "error (normalised scale)",
        [
            ("MAE", [r["metrics"]["test_mae"] for r in rows], OVERALL),
            ("MSE", [r["metrics"]["test_mse"] for r in rows], NEUTRAL),
        ],
    )
    figures["points"] = grouped("Discovery points", "points", [("points", [x["points"] for x in d], OVERALL)])
    figures["accuracy"] = grouped(
        "Discovery accuracy",
        "accuracy (%)",
        [
            ("increase", [x["increase_accuracy"] for x in d], INCREASE),
            ("decrease", [x["decrease_accuracy"] for x in d], DECREASE),
            ("overall", [x["accuracy"] for x in d], OVERALL),
        ],
    )
    figures["predictions"] = grouped(
        "Predictions",
        "predictions",
        [
            ("increase", [x["increase_num"] for x in d], INCREASE),
            ("decrease", [x["decrease_num"] for x in d], DECREASE),
            ("total", [x["increase_num"] + x["decrease_num"] for x in d], OVERALL),
            ("neutral", [x["neutral_num"] for x in d], NEUTRAL),
        ],
    )
    figures["successful"] = grouped(
        "Successful predictions: mean change",
        "change (%)",
        [
            ("increase", [x.get("increase_successful_mean", 0) for x in d], INCREASE),
            ("|decrease|", [abs(x.get("decrease_successful_mean", 0)) for x in d], DECREASE),
        ],
    )
    figures["ranges"] = grouped(
        "Prediction ranges",
        "change (%)",
        [
            ("increase min", [x["increase_min"] for x in d], INCREASE, 0.45),
            ("increase mean", [x["increase_mean"] for x in d], INCREASE, 0.7),
            ("increase max", [x["increase_max"] for x in d], INCREASE, 1.0),
            ("decrease min", [x["decrease_min"] for x in d], DECREASE, 1.0),
            ("decrease mean", [x["decrease_mean"] for x in d], DECREASE, 0.7),
            ("decrease max", [x["decrease_max"] for x in d], DECREASE, 0.45),
        ],
    )
    return figures


def analysis_figures(rows: list[dict], target: str, label: str, ranked: list[dict]) -> dict:
    """Parallel coordinates of the whole grid, a box plot per hyper-parameter, and the importances."""
    rows = [r for r in rows if r.get(target) is not None]
    if not rows:
        return {}
    figures = {}

    def dimension(name, key):
        values = [r[key] for r in rows]
        if all(isinstance(v, (int, float)) for v in values):
            return {"label": name, "values": values}
        labels = sorted(set(map(str, values)))
        return {
            "label": name,
            "values": [labels.index(str(v)) for v in values],
            "tickvals": list(range(len(labels))),
            "ticktext": labels,
        }

    dims = [
        dimension("network", "network"),
        dimension("depth (S)", "depth"),
        dimension("units / filters (sum)", "capacity"),
        dimension("learning rate (-1: decay)", "learning_rate"),
        dimension("loss", "loss"),
        dimension("epochs", "epochs"),
        dimension(label, target),
    ]
    figures["parallel"] = _figure(
        [
            {
                "type": "parcoords",
                "dimensions": dims,
                "labelangle": -20,
                "line": {
                    "color": [r[target] for r in rows],
                    "colorscale": "Viridis",
                    "showscale": True,
                    "colorbar": {"title": {"text": label}},
                },
            }
        ],
        title={
            "text": f"Hyper-parameters against {label.lower()} ({len(rows)} regressions)",
            "y": 0.98,
            "yanchor": "top",
        },
        height=460,
        margin={"l": 80, "r": 80, "t": 110, "b": 30},
    )
    for key, name in (
        ("network", "network"),
        ("depth", "depth (S)"),
        ("learning_rate", "learning rate (-1: decay)"),
        ("loss", "loss"),
        ("capacity", "units / filters (sum)"),
        ("activation", "first activation"),
    ):
        figures[f"box_{key}"] = _figure(
            [
                {
                    "type": "box",
                    "x": [str(r[key]) for r in rows],
                    "y": [r[target] for r in rows],
                    "boxpoints": "outliers",
                    "marker": {"color": OVERALL},
                    "name": label,
                }
            ],
            title={"text": f"{label} by {name}"},
            xaxis=_axis(name, type="category"),
            yaxis=_axis(label),
            height=340,
            margin=MARGIN,
            showlegend=False,
        )
    if ranked:
        figures["importance"] = _figure(
            [
                {
                    "type": "bar",
                    "orientation": "h",
                    "y": [r["feature"] for r in ranked],
                    "x": [r["importance"] for r in ranked],
                    "error_x": {"type": "data", "array": [r["std"] for r in ranked]},
                    "marker": {"color": OVERALL},
                    "text": [f"{r['importance']:.3f}" for r in ranked],
                    "textposition": "auto",
                }
            ],
            title={"text": f"Hyper-parameter importance for {label.lower()} (permutation, random forest)"},
            xaxis=_axis("mean drop in R² when shuffled"),
            yaxis=_axis("hyper-parameter", autorange="reversed"),
            height=340,
            margin={"l": 120, "r": 20, "t": 50, "b": 50},
        )
    return figures
