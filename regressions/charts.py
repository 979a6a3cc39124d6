"""Plotly figures for batch, regression and selection pages (dicts ready for the template)."""

from __future__ import annotations

import plotly.graph_objects as go

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


def regression_figures(cert: dict, samples: list[dict]) -> dict:
    history = cert["training_history"]
    best = cert["best_epoch"]  # counted from 1, like the x axis
    epochs = list(range(1, len(history["loss"]) + 1))
    figures = {}
    for key, title in ((None, "Loss"), (cert["metric"], f"Metric: {cert['metric']}")):
        train_key, val_key = ("loss", "val_loss") if key is None else (key, f"val_{key}")
        fig = go.Figure(
            [
                go.Scatter(x=epochs, y=history[train_key], name=train_key, mode="lines+markers"),
                go.Scatter(x=epochs, y=history[val_key], name=val_key, mode="lines+markers"),
            ]
        )
        fig.add_vline(x=best, line_dash="dash", line_color="#16a34a", annotation_text=f"best epoch {best}")
        fig.update_layout(title=title, xaxis_title="epoch", height=340, margin={"l": 60, "r": 20, "t": 50, "b": 40})
        figures["loss" if key is None else "metric"] = to_dict(fig)
    d = cert["discovery"]
    accuracy = go.Figure(
        go.Bar(
            x=["increase", "decrease", "overall"],
            y=[d["increase_accuracy"], d["decrease_accuracy"], d["accuracy"]],
            marker_color=["#16a34a", "#dc2626", "#2563eb"],
            text=[d["increase_accuracy"], d["decrease_accuracy"], d["accuracy"]],
        )
    )
    accuracy.update_layout(
        title="Discovery accuracy (%)", yaxis_range=[0, 100], height=320, margin={"l": 50, "r": 20, "t": 50, "b": 40}
    )
    histogram = go.Figure(
        [
            go.Histogram(
                x=d["increase_list"], name=f"increase ({d['increase_num']})", marker_color="#16a34a", opacity=0.7
            ),
            go.Histogram(
                x=d["decrease_list"], name=f"decrease ({d['decrease_num']})", marker_color="#dc2626", opacity=0.7
            ),
        ]
    )
    histogram.update_layout(
        title="Predicted changes (%)", barmode="overlay", height=320, margin={"l": 50, "r": 20, "t": 50, "b": 40}
    )
    points = go.Figure(
        go.Scatter(
            x=[f"{10 * (i + 1)}%" for i in range(len(d["points_hist"]))], y=d["points_hist"], mode="lines+markers"
        )
    )
    points.update_layout(
        title=f"Points over the test set (final {d['points']})", height=320, margin={"l": 50, "r": 20, "t": 50, "b": 40}
    )
    figures.update(accuracy=to_dict(accuracy), histogram=to_dict(histogram), points=to_dict(points))
    if samples:
        paths = go.Figure()
        for sample in samples:
            tail = sample["x"][-32:]
            xs_in = list(range(-len(tail), 0))
            xs_out = list(range(len(sample["y"])))
            group = f"window at row {sample['row']}"
            paths.add_trace(
                go.Scatter(x=xs_in, y=tail, name=f"{group}: input", legendgroup=group, line={"color": "#94a3b8"})
            )
            paths.add_trace(
                go.Scatter(x=xs_out, y=sample["y"], name=f"{group}: real", legendgroup=group, line={"color": "#2563eb"})
            )
            paths.add_trace(
                go.Scatter(
                    x=xs_out,
                    y=sample["predicted"],
                    name=f"{group}: predicted",
                    legendgroup=group,
                    line={"color": "#dc2626", "dash": "dash"},
                )
            )
        paths.update_layout(
            title="Predicted vs real paths on test windows (normalised SMA)",
            xaxis_title="candles from the decision",
            height=420,
            margin={"l": 50, "r": 20, "t": 50, "b": 40},
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
            marker_color=["#2563eb" if row["id"] in chosen else "#cbd5e1" for row in ranking],
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
