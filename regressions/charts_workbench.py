"""Plotly figures of the leaderboard and the compare page (the Epoca GUI's multi-certificate views)."""
from __future__ import annotations

from collections import Counter

import plotly.graph_objects as go

from epochs.charts import to_dict

# One colour convention on every page: increase/long green, decrease/short red, overall blue.
INCREASE, DECREASE, OVERALL, NEUTRAL = "#16a34a", "#dc2626", "#2563eb", "#94a3b8"
STATE_COLOURS = {"optimal": "#15803d", "decent": "#65a30d", "neutral": "#ca8a04", "warning": "#ea580c", "error": "#dc2626"}
MARGIN = dict(l=60, r=20, t=50, b=50)


def _short(regression_id: str) -> str:
    """``KR_CNN_S4_5060a77f…``: the template and the start of the hash, enough to tell bars apart."""
    head, _, tail = regression_id.rpartition("_")
    return f"{head}_{tail[:8]}"


def ebe_bars(rows: list[tuple[str, float, str]], title: str = "EBE points") -> dict:
    """One horizontal bar per certificate, coloured by its state; ``rows``: (id, points, state)."""
    rows = [r for r in rows if r[1] is not None]
    if not rows:
        return {}
    fig = go.Figure(go.Bar(
        y=[_short(r[0]) for r in rows], x=[r[1] for r in rows], orientation="h", customdata=[r[0] for r in rows],
        marker_color=[STATE_COLOURS.get(r[2], NEUTRAL) for r in rows], text=[f"{r[1]:.2f}" for r in rows],
        textposition="auto", hovertemplate="%{customdata}<br>%{x:.2f} EBE points<extra></extra>",
    ))
    fig.update_layout(title=title, xaxis_title="EBE points (of 100)", yaxis_title="regression", xaxis_range=[0, 100],
                      yaxis_autorange="reversed", height=max(300, 22 * len(rows) + 120), margin=dict(l=220, r=20, t=50, b=50))
    return to_dict(fig)


def count_bars(counter: Counter, title: str, axis: str) -> dict:
    if not counter:
        return {}
    labels = [str(k) for k in counter]
    fig = go.Figure(go.Bar(x=labels, y=list(counter.values()), text=list(counter.values()), textposition="auto",
                           marker_color=OVERALL))
    fig.update_layout(title=title, xaxis_title=axis, yaxis_title="regressions", xaxis_type="category", height=320, margin=MARGIN)
    return to_dict(fig)


def hyperparameter_figures(configs: list[dict], epochs_trained: list[tuple[str, int]]) -> dict:
    """Count bars of optimizers, learning rates, losses, networks and series; the capacity histogram; epochs per model."""
    figures = {}
    networks = Counter()
    series = Counter()
    for config in configs:
        name = config["keras_model"]["name"]  # KR_<NETWORK>_S<n>: network and series come from the id
        network, _, depth = name[3:].rpartition("_")
        networks[network or name[3:]] += 1
        series[depth if depth.startswith("S") else "—"] += 1
    figures["optimizers"] = count_bars(Counter(c["optimizer"] for c in configs), "Optimizers", "optimizer")
    figures["learning_rates"] = count_bars(Counter(c["learning_rate"] for c in configs), "Learning rates (-1: InverseTimeDecay)",
                                           "learning rate")
    figures["losses"] = count_bars(Counter(c["loss"] for c in configs), "Losses", "loss")
    figures["networks"] = count_bars(networks, "Networks", "network")
    figures["series"] = count_bars(series, "Series (depth)", "series")
    capacity = Counter("_".join(str(u) for u in (c["keras_model"].get("units") or c["keras_model"].get("filters") or []))
                       for c in configs)
    figures["capacity"] = count_bars(Counter(dict(sorted(capacity.items()))), "Capacity (units, or filters, joined)",
                                     "units / filters")
    if epochs_trained:
        fig = go.Figure(go.Bar(x=[_short(i) for i, _ in epochs_trained], y=[n for _, n in epochs_trained],
                               text=[n for _, n in epochs_trained], textposition="auto", marker_color=OVERALL,
                               customdata=[i for i, _ in epochs_trained], hovertemplate="%{customdata}<br>%{y} epochs<extra></extra>"))
        fig.update_layout(title="Epochs trained per model", xaxis_title="regression", yaxis_title="epochs", height=340,
                          margin=dict(l=60, r=20, t=50, b=120))
        figures["epochs"] = to_dict(fig)
    return {k: v for k, v in figures.items() if v}


def compare_figures(rows: list[dict]) -> dict:
    """Overlaid learning curves and the multi-discovery bars of the compared certificates."""
    if not rows:
        return {}
    figures = {}
    for key, title in (("loss", "Loss per epoch"), ("metric", "Metric per epoch")):
        fig = go.Figure()
        for row in rows:
            history, name = row["cert"]["training_history"], _short(row["id"])
            train = "loss" if key == "loss" else row["cert"]["metric"]
            epochs = list(range(1, len(history[train]) + 1))
            fig.add_trace(go.Scatter(x=epochs, y=history[train], name=f"{name} {train}", mode="lines", legendgroup=name))
            fig.add_trace(go.Scatter(x=epochs, y=history[f"val_{train}"], name=f"{name} val_{train}", mode="lines",
                                     line=dict(dash="dash"), legendgroup=name))
        fig.update_layout(title=title, xaxis_title="epoch", yaxis_title="value (normalised scale)", height=400, margin=MARGIN)
        figures[key] = to_dict(fig)
    names = [_short(r["id"]) for r in rows]
    d = [r["cert"]["discovery"] for r in rows]

    def grouped(title, axis, series):
        fig = go.Figure([go.Bar(x=names, y=values, name=label, marker_color=colour, text=[f"{v:.2f}" for v in values],
                                textposition="auto") for label, values, colour in series])
        fig.update_layout(title=title, barmode="group", xaxis_title="regression", yaxis_title=axis, height=360, margin=MARGIN)
        return to_dict(fig)

    figures["ebe"] = ebe_bars([(r["id"], r["ebe"]["points"], r["ebe"]["state"]) for r in rows])
    figures["test"] = grouped("Test dataset evaluation", "error (normalised scale)", [
        ("MAE", [r["metrics"]["test_mae"] for r in rows], OVERALL), ("MSE", [r["metrics"]["test_mse"] for r in rows], NEUTRAL)])
    figures["points"] = grouped("Discovery points", "points", [("points", [x["points"] for x in d], OVERALL)])
    figures["accuracy"] = grouped("Discovery accuracy", "accuracy (%)", [
        ("increase", [x["increase_accuracy"] for x in d], INCREASE), ("decrease", [x["decrease_accuracy"] for x in d], DECREASE),
        ("overall", [x["accuracy"] for x in d], OVERALL)])
    figures["predictions"] = grouped("Predictions", "predictions", [
        ("increase", [x["increase_num"] for x in d], INCREASE), ("decrease", [x["decrease_num"] for x in d], DECREASE),
        ("total", [x["increase_num"] + x["decrease_num"] for x in d], OVERALL), ("neutral", [x["neutral_num"] for x in d], NEUTRAL)])
    figures["successful"] = grouped("Successful predictions: mean change", "change (%)", [
        ("increase", [x.get("increase_successful_mean", 0) for x in d], INCREASE),
        ("|decrease|", [abs(x.get("decrease_successful_mean", 0)) for x in d], DECREASE)])
    figures["ranges"] = grouped("Prediction ranges", "change (%)", [
        ("increase min", [x["increase_min"] for x in d], "#86efac"), ("increase mean", [x["increase_mean"] for x in d], INCREASE),
        ("increase max", [x["increase_max"] for x in d], "#14532d"), ("decrease min", [x["decrease_min"] for x in d], "#7f1d1d"),
        ("decrease mean", [x["decrease_mean"] for x in d], DECREASE), ("decrease max", [x["decrease_max"] for x in d], "#fca5a5")])
    return figures
