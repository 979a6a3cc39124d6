"""Plotly figures for batch, regression and selection pages (dicts ready for the template)."""

from __future__ import annotations

import plotly.graph_objects as go

from core.colours import DECREASE, INCREASE, REFERENCE, REFERENCE_DARK, SELECTION
from epochs.charts import to_dict
from regressions.engine.families import category_names

CATEGORY_CODES = {name: code for code, name in enumerate(category_names())}


def _depth(template: str) -> int:
    tail = template.rsplit("_S", 1)[-1]
    return int(tail) if tail.isdigit() else 0


def batch_figures(regressions) -> dict:
    trained = [r for r in regressions if r.accuracy is not None]
    if not trained:
        return {}
    scatter = go.Figure()
    for category in sorted({r.config.category for r in trained}):
        rows = [r for r in trained if r.config.category == category]
        scatter.add_trace(
            go.Scatter(
                x=[r.test_loss for r in rows],
                y=[r.accuracy for r in rows],
                mode="markers",
                name=category,
                text=[r.config_id for r in rows],
                marker={"size": 10},
                hovertemplate="%{text}<br>test loss %{x:.6f}<br>accuracy %{y:.2f}%<extra></extra>",
            )
        )
    scatter.update_layout(
        title="Discovery accuracy vs test loss",
        xaxis_title="test loss",
        yaxis_title="accuracy (%)",
        height=420,
        margin={"l": 60, "r": 20, "t": 50, "b": 50},
    )
    units = [
        sum(r.config.config["keras_model"].get("units") or [])
        + sum(r.config.config["keras_model"].get("filters") or [])
        for r in trained
    ]
    parallel = go.Figure(
        go.Parcoords(
            line={
                "color": [r.accuracy for r in trained],
                "colorscale": "Viridis",
                "showscale": True,
                "colorbar": {"title": "accuracy"},
            },
            dimensions=[
                {
                    "label": "category",
                    "values": [CATEGORY_CODES.get(r.config.category, 7) for r in trained],
                    "tickvals": list(CATEGORY_CODES.values()),
                    "ticktext": list(CATEGORY_CODES),
                },
                {"label": "depth (S)", "values": [_depth(r.config.template) for r in trained]},
                {"label": "units + filters", "values": units},
                {"label": "learning rate (-1: decay)", "values": [r.config.learning_rate for r in trained]},
                {
                    "label": "loss (0 MAE, 1 MSE)",
                    "values": [0 if r.config.loss == "mean_absolute_error" else 1 for r in trained],
                    "tickvals": [0, 1],
                    "ticktext": ["MAE", "MSE"],
                },
                {"label": "epochs", "values": [r.epochs_trained or 0 for r in trained]},
                {"label": "accuracy", "values": [r.accuracy for r in trained]},
            ],
        )
    )
    # The axis labels sit above the plot: the title goes higher still, and labels tilt to fit side by side.
    parallel.update_traces(labelangle=-20, selector={"type": "parcoords"})
    parallel.update_layout(
        title={"text": "Hyper-parameters against accuracy", "y": 0.98, "yanchor": "top"},
        height=440,
        margin={"l": 60, "r": 60, "t": 110, "b": 30},
    )
    return {"scatter": to_dict(scatter), "parallel": to_dict(parallel)}


MARGIN = {"l": 60, "r": 20, "t": 50, "b": 50}
# Training curves: the training value solid, the validation value dashed, in one colour pair.
TRAIN_COLOUR, VALIDATION_COLOUR = REFERENCE_DARK, SELECTION


def _curve(epochs: list[int], values: list, name: str) -> go.Scatter:
    colour, dash = (VALIDATION_COLOUR, "dash") if name.startswith("val_") else (TRAIN_COLOUR, "solid")
    return go.Scatter(
        x=epochs, y=values, name=name, meta=name, mode="lines+markers", line={"color": colour, "dash": dash}
    )


def curve_figure(history: dict, keys: tuple[str, str], title: str, best: int | None = None) -> go.Figure:
    """One training value and its validation value per epoch (counted from 1)."""
    epochs = list(range(1, len(history.get(keys[0], [])) + 1))
    fig = go.Figure([_curve(epochs, history.get(key, []), key) for key in keys])
    if best:
        fig.add_vline(x=best, line_dash="dot", line_color=REFERENCE, annotation_text=f"best epoch {best}")
    fig.update_layout(
        title=title,
        xaxis_title="epoch",
        yaxis_title=f"{keys[0]} (normalised scale)",
        height=340,
        margin=MARGIN,
    )
    return fig


def live_curve_figure(partial: dict) -> dict:
    """Loss and val_loss of the epochs finished so far; the page extends it as epochs finish
    (each trace's ``meta`` names its history key)."""
    fig = curve_figure(partial["history"], ("loss", "val_loss"), "Loss per epoch, live")
    fig.update_xaxes(rangemode="tozero")
    return to_dict(fig)


def _pie(labels: list[str], values: list[int], colours: list[str], title: str) -> dict:
    fig = go.Figure(
        go.Pie(labels=labels, values=values, marker={"colors": colours}, textinfo="label+value+percent", sort=False)
    )
    fig.update_layout(title=title, height=320, margin=MARGIN)
    return to_dict(fig)


def regression_figures(cert: dict, samples: list[dict]) -> dict:
    """The certificate tabs' charts: training curves, and the discovery's bars, lines, histograms and pies."""
    history, metric = cert["training_history"], cert["metric"]
    best = cert["best_epoch"]  # counted from 1, like the x axis
    figures = {
        "loss": to_dict(curve_figure(history, ("loss", "val_loss"), "Loss per epoch", best)),
        "metric": to_dict(curve_figure(history, (metric, f"val_{metric}"), f"Metric per epoch: {metric}", best)),
    }
    d = cert["discovery"]
    values = [d["increase_accuracy"], d["decrease_accuracy"], d["accuracy"]]
    accuracy = go.Figure(
        go.Bar(
            x=["increase", "decrease", "overall"],
            y=values,
            marker_color=[INCREASE, DECREASE, REFERENCE_DARK],
            text=[f"{v:.2f} %" for v in values],
            textposition="auto",
        )
    )
    accuracy.update_layout(
        title="Discovery accuracy",
        xaxis_title="predictions",
        yaxis_title="accuracy (%)",
        yaxis_range=[0, 100],
        height=320,
        margin=MARGIN,
    )
    histogram = go.Figure(
        [
            go.Histogram(
                x=d["increase_list"], name=f"increase ({d['increase_num']})", marker_color=INCREASE, opacity=0.7
            ),
            go.Histogram(
                x=d["decrease_list"], name=f"decrease ({d['decrease_num']})", marker_color=DECREASE, opacity=0.7
            ),
        ]
    )
    histogram.update_layout(
        title="Predicted changes",
        barmode="overlay",
        xaxis_title="predicted change (%)",
        yaxis_title="predictions",
        height=320,
        margin=MARGIN,
    )
    points = go.Figure(
        go.Scatter(
            x=[f"{10 * (i + 1)} %" for i in range(len(d["points_hist"]))],
            y=d["points_hist"],
            mode="lines+markers+text",
            text=[f"{v:.2f}" for v in d["points_hist"]],
            textposition="top center",
            line={"color": REFERENCE_DARK},
        )
    )
    points.update_layout(
        title=f"Points over the test set (final {d['points']:.2f})",
        xaxis_title="share of the test set",
        yaxis_title="discovery points",
        height=320,
        margin=MARGIN,
    )
    figures.update(accuracy=to_dict(accuracy), histogram=to_dict(histogram), points=to_dict(points))
    figures["predictions_pie"] = _pie(
        ["increase", "decrease", "neutral"],
        [d["increase_num"], d["decrease_num"], d["neutral_num"]],
        [INCREASE, DECREASE, REFERENCE],
        "Predictions",
    )
    figures["outcomes_pie"] = _pie(
        ["increase", "decrease", "neutral"],
        [d["increase_outcome_num"], d["decrease_outcome_num"], d["neutral_outcome_num"]],
        [INCREASE, DECREASE, REFERENCE],
        "Outcomes",
    )
    if samples:
        paths = go.Figure()
        for sample in samples:
            tail = sample["x"][-32:]
            xs_in = list(range(-len(tail), 0))
            xs_out = list(range(len(sample["y"])))
            group = f"window at row {sample['row']}"
            paths.add_trace(
                go.Scatter(x=xs_in, y=tail, name=f"{group}: input", legendgroup=group, line={"color": REFERENCE})
            )
            paths.add_trace(
                go.Scatter(
                    x=xs_out, y=sample["y"], name=f"{group}: real", legendgroup=group, line={"color": REFERENCE_DARK}
                )
            )
            paths.add_trace(
                go.Scatter(
                    x=xs_out,
                    y=sample["predicted"],
                    name=f"{group}: predicted",
                    legendgroup=group,
                    line={"color": SELECTION, "dash": "dash"},
                )
            )
        paths.update_layout(
            title="Predicted vs real paths on test windows",
            xaxis_title="candles from the decision",
            yaxis_title="normalised SMA",
            height=420,
            margin=MARGIN,
        )
        figures["paths"] = to_dict(paths)
    return figures


def ranking_figure(ranking: list[dict], chosen: set[str]) -> dict:
    if not ranking:
        return {}
    fig = go.Figure(
        go.Bar(
            x=[row["id"] for row in ranking],
            y=[row["accuracy"] for row in ranking],
            marker_color=[SELECTION if row["id"] in chosen else REFERENCE for row in ranking],
            text=[f"{row['accuracy']:.2f}" if row.get("accuracy") is not None else "" for row in ranking],
            textposition="auto",
        )
    )
    fig.update_layout(
        title="Ranking (chosen in blue)",
        xaxis_title="regressions in rank order",
        yaxis_title="accuracy (%)",
        height=380,
        xaxis_showticklabels=False,
        margin={"l": 50, "r": 20, "t": 50, "b": 30},
    )
    return to_dict(fig)
