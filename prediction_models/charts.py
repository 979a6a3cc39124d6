"""Plotly figures for the search and model pages (dicts ready for the ``plotly`` template tag)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core.colours import FORWARD, HOLDOUT, LONG, LOST, REFERENCE, REFERENCE_DARK, SELECTION, SHORT, WON
from epochs.charts import _dates, downsample_ohlc, to_dict
from prediction_models.engine.equity import Equity, keep_extremes

PERIOD_COLOURS = {"selection": SELECTION, "holdout": HOLDOUT}


def _period_colour(name: str) -> str:
    return PERIOD_COLOURS.get(name, FORWARD)


def _steps(values: np.ndarray) -> np.ndarray:
    """The first and last index and every index where a step curve changes (drawn ``hv``)."""
    changes = np.flatnonzero(np.diff(values)) + 1
    return np.unique(np.concatenate([[0], changes, [len(values) - 1]])) if len(values) else changes


def period_figure(name: str, backtest: dict, equity: Equity, minutes, *, symbol: str = "BTCUSDT") -> dict:
    """Price with the positions, both balances against buy and hold, and both drawdowns: one time axis.

    Every line starts at the period's first minute and ends at its last (``equity.times``); the
    candles are grouped into buckets drawn at their open, so the last candle sits up to one bucket
    before the end.
    """
    times = equity.times
    if not len(times):
        return {}
    lo = int(np.searchsorted(minutes.ot, times[0], "left"))
    hi = lo + len(times)
    colour = _period_colour(name)
    fig = make_subplots(
        rows=3,
        cols=1,
        shared_xaxes=True,
        row_heights=[0.45, 0.33, 0.22],
        vertical_spacing=0.04,
    )
    data = downsample_ohlc(minutes.ot[lo:hi], minutes.o[lo:hi], minutes.h[lo:hi], minutes.l[lo:hi], minutes.c[lo:hi])
    bucket = int(data.bucket.iloc[0]) if len(data) else 1
    fig.add_trace(
        go.Candlestick(
            x=_dates(data.ot),
            open=data.o,
            high=data.h,
            low=data.l,
            close=data.c,
            name=f"{symbol} ({bucket} min candles)",
            increasing_line_color=REFERENCE,
            decreasing_line_color=REFERENCE_DARK,
        ),
        row=1,
        col=1,
    )
    positions = backtest["positions"]
    for side, t, colour_of_side, symbol_of_side in (
        ("long", 1, LONG, "triangle-up"),
        ("short", -1, SHORT, "triangle-down"),
    ):
        rows = [p for p in positions if p["t"] == t]
        if rows:
            fig.add_trace(
                go.Scatter(
                    x=_dates([p["ot"] for p in rows]),
                    y=[p["op"] for p in rows],
                    mode="markers",
                    name=f"entry ({side})",
                    marker={"color": colour_of_side, "size": 10, "symbol": symbol_of_side},
                    hovertemplate=f"{side} entry at %{{y:.2f}} USDT<extra></extra>",
                ),
                row=1,
                col=1,
            )
    for won, label, colour_of_outcome in ((True, "won", WON), (False, "lost", LOST)):
        rows = [p for p in positions if p["o"] == won]
        if rows:
            fig.add_trace(
                go.Scatter(
                    x=_dates([p["ct"] for p in rows]),
                    y=[p["cp"] for p in rows],
                    mode="markers",
                    name=f"exit ({label})",
                    marker={"color": colour_of_outcome, "size": 8, "symbol": "x"},
                    hovertemplate=f"exit ({label}) at %{{y:.2f}} USDT<extra></extra>",
                ),
                row=1,
                col=1,
            )
    closed_dd, marked_dd = equity.closed_drawdown, equity.marked_drawdown
    steps, marked = _steps(equity.closed), keep_extremes(marked_dd)
    hold = backtest["initial_balance"] * minutes.c[lo:hi] / minutes.o[lo]
    lines = (
        (2, steps, equity.closed, "balance, closed positions", {"color": colour, "width": 2}, "hv"),
        (2, marked, equity.marked, "balance, marked to market", {"color": colour, "width": 1, "dash": "dot"}, "linear"),
        (2, marked, hold, "buy and hold (initial balance)", {"color": REFERENCE, "width": 1}, "linear"),
        (
            3,
            steps,
            closed_dd,
            f"drawdown, closed positions (deepest {equity.largest_closed_drawdown:.2f} %)",
            {"color": colour, "width": 2},
            "hv",
        ),
        (
            3,
            marked,
            marked_dd,
            f"drawdown, marked to market (deepest {equity.largest_marked_drawdown:.2f} %)",
            {"color": LOST, "width": 1, "dash": "dot"},
            "linear",
        ),
    )
    for row, index, values, label, line, shape in lines:
        fig.add_trace(
            go.Scatter(
                x=_dates(times[index]),
                y=np.round(values[index], 4).tolist(),
                name=label,
                mode="lines",
                line=line,
                line_shape=shape,
                hovertemplate=f"{label.split(' (')[0]}: %{{y:.2f}}<extra></extra>",
            ),
            row=row,
            col=1,
        )
    first, last = _dates([times[0], times[-1]])
    fig.update_xaxes(range=[first, last])
    fig.update_xaxes(title_text="time (UTC)", row=3, col=1)
    fig.update_yaxes(title_text="price (USDT)", row=1, col=1)
    fig.update_yaxes(title_text="balance (USDT)", row=2, col=1)
    fig.update_yaxes(title_text="drawdown (%)", row=3, col=1)
    fig.update_layout(
        title=f"{name.capitalize()} period: price and positions, balance against buy and hold, drawdown",
        xaxis_rangeslider_visible=False,
        height=820,
        legend={"orientation": "h"},
        margin={"l": 70, "r": 20, "t": 50, "b": 40},
    )
    return to_dict(fig)


def discovery_figure(discoveries: list[tuple[str, dict]]) -> dict:
    """Points over each period (tenths) and accuracy per side."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=("Points over the period", "Discovery accuracy (%)"))
    for name, d in discoveries:
        colour = _period_colour(name)
        fig.add_trace(
            go.Scatter(
                x=[f"{10 * (i + 1)}%" for i in range(len(d["points_hist"]))],
                y=d["points_hist"],
                mode="lines+markers",
                name=f"{name}: points",
                line={"color": colour},
            ),
            row=1,
            col=1,
        )
        values = [d["increase_accuracy"], d["decrease_accuracy"], d["accuracy"]]
        fig.add_trace(
            go.Bar(
                x=["increase", "decrease", "overall"],
                y=values,
                name=f"{name}: accuracy",
                marker={"color": colour},
                text=[f"{v:.2f} %" for v in values],
                textposition="outside",
            ),
            row=1,
            col=2,
        )
    fig.update_xaxes(title_text="share of the period", row=1, col=1)
    fig.update_yaxes(title_text="points", row=1, col=1)
    fig.update_xaxes(title_text="predicted direction", row=1, col=2)
    fig.update_yaxes(title_text="accuracy (%)", range=[0, 110], row=1, col=2)
    fig.update_layout(
        height=420,
        barmode="group",
        legend={"orientation": "h", "y": -0.3},
        margin={"l": 60, "r": 20, "t": 50, "b": 90},
    )
    return to_dict(fig)


def profitable_figure(configs) -> dict:
    """Profit against accuracy of the profitable configs (at most the 5 000 best).

    Reads four columns, not rows, and writes plotly.js's dict directly: thousands of points.
    """
    rows = list(configs[:5000].values_list("accuracy", "profit", "largest_drawdown", "config_index"))
    if not rows:
        return {}
    accuracy, profit, drawdown, index = zip(*rows, strict=False)
    points = {
        "type": "scattergl",
        "mode": "markers",
        "x": list(accuracy),
        "y": list(profit),
        "text": [f"#{i}" for i in index],
        "marker": {
            "color": [d or 0 for d in drawdown],
            "colorscale": "RdYlGn",
            "reversescale": True,
            "showscale": True,
            "colorbar": {"title": {"text": "largest drawdown (%)"}},
        },
        "hovertemplate": "%{text}<br>accuracy %{x:.2f} %<br>profit %{y:.2f} USDT<extra></extra>",
    }
    return {
        "data": [points],
        "layout": {
            "title": {"text": "Profitable configs (selection period)"},
            "xaxis": {"title": {"text": "accuracy (%)"}},
            "yaxis": {"title": {"text": "profit (USDT)"}},
            "height": 400,
            "margin": {"l": 60, "r": 20, "t": 50, "b": 40},
        },
    }
