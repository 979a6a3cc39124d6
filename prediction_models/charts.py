"""Plotly figures for the search and model pages (dicts ready for the ``plotly`` template tag)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from epochs.charts import _dates, downsample_ohlc, to_dict

WON, LOST = "#16a34a", "#dc2626"


def _balance_points(performance: dict, start: int) -> tuple[list, list]:
    times = [start] + [p["ct"] for p in performance["positions"]]
    balances = [performance["initial_balance"]] + [p["b"] for p in performance["positions"]]
    return times, balances


def _drawdown(balances: list[float]) -> list[float]:
    peak = np.maximum.accumulate(np.asarray(balances, dtype=float))
    return ((np.asarray(balances) / peak - 1) * 100).tolist()


def _buy_and_hold(minutes, start: int, end: int) -> tuple:
    lo, hi = np.searchsorted(minutes.ot, start, "left"), np.searchsorted(minutes.ot, end, "right")
    step = max(1, (hi - lo) // 2000)
    ot, close = minutes.ot[lo:hi:step], minutes.c[lo:hi:step]
    return _dates(ot), ((close / minutes.o[lo] - 1) * 100) if len(close) else close


def performance_figure(periods: list[tuple[str, dict, int, int]], minutes) -> dict:
    """Balance and drawdown (%) of each period, against buy-and-hold (%) over the same minutes."""
    fig = make_subplots(
        rows=2,
        cols=1,
        shared_xaxes=True,
        row_heights=[0.65, 0.35],
        vertical_spacing=0.05,
        specs=[[{"secondary_y": True}], [{}]],
    )
    colors = {"selection": "#2563eb", "holdout": "#7c3aed"}
    for name, performance, start, end in periods:
        times, balances = _balance_points(performance, start)
        x = _dates(times)
        fig.add_trace(
            go.Scatter(
                x=x,
                y=balances,
                name=f"{name}: balance",
                mode="lines+markers",
                line_shape="hv",
                line={"color": colors.get(name)},
            ),
            row=1,
            col=1,
        )
        fig.add_trace(
            go.Scatter(
                x=x,
                y=_drawdown(balances),
                name=f"{name}: drawdown %",
                fill="tozeroy",
                line_shape="hv",
                line={"color": colors.get(name), "width": 1},
            ),
            row=2,
            col=1,
        )
        bh_x, bh_y = _buy_and_hold(minutes, start, end)
        fig.add_trace(
            go.Scatter(x=bh_x, y=bh_y, name=f"{name}: buy and hold %", line={"color": "#94a3b8", "width": 1}),
            row=1,
            col=1,
            secondary_y=True,
        )
    fig.update_yaxes(title_text="balance", row=1, col=1)
    fig.update_yaxes(title_text="buy and hold %", row=1, col=1, secondary_y=True)
    fig.update_yaxes(title_text="drawdown %", row=2, col=1)
    fig.update_layout(
        title="Balance and drawdown against buy and hold",
        height=520,
        legend={"orientation": "h"},
        margin={"l": 60, "r": 60, "t": 50, "b": 40},
    )
    return to_dict(fig)


def positions_figure(minutes, positions: list[dict], *, title: str, symbol: str = "BTCUSDT") -> dict:
    """Price (downsampled candles) with each position's entry and exit, won in green, lost in red."""
    data = downsample_ohlc(minutes.ot, minutes.o, minutes.h, minutes.l, minutes.c)
    fig = go.Figure(
        go.Candlestick(
            x=_dates(data.ot),
            open=data.o,
            high=data.h,
            low=data.l,
            close=data.c,
            name=symbol,
            increasing_line_color="#94a3b8",
            decreasing_line_color="#475569",
        )
    )
    for won in (True, False):
        rows = [p for p in positions if p["o"] == won]
        color, label = (WON, "won") if won else (LOST, "lost")
        fig.add_trace(
            go.Scatter(
                x=_dates([p["ot"] for p in rows]),
                y=[p["op"] for p in rows],
                mode="markers",
                name=f"entry ({label})",
                marker={
                    "color": color,
                    "size": 10,
                    "symbol": ["triangle-up" if p["t"] == 1 else "triangle-down" for p in rows],
                },
                text=["long" if p["t"] == 1 else "short" for p in rows],
                hovertemplate="%{text} at %{y}<extra></extra>",
            )
        )
        fig.add_trace(
            go.Scatter(
                x=_dates([p["ct"] for p in rows]),
                y=[p["cp"] for p in rows],
                mode="markers",
                name=f"exit ({label})",
                marker={"color": color, "size": 8, "symbol": "x"},
            )
        )
    fig.update_layout(
        title=title,
        xaxis_rangeslider_visible=False,
        height=460,
        legend={"orientation": "h"},
        margin={"l": 60, "r": 20, "t": 50, "b": 40},
    )
    return to_dict(fig)


def discovery_figure(discoveries: list[tuple[str, dict]]) -> dict:
    """Points over each period (tenths) and accuracy per side."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=("Points over the period", "Discovery accuracy (%)"))
    for name, d in discoveries:
        fig.add_trace(
            go.Scatter(
                x=[f"{10 * (i + 1)}%" for i in range(len(d["points_hist"]))],
                y=d["points_hist"],
                mode="lines+markers",
                name=f"{name}: points",
            ),
            row=1,
            col=1,
        )
        fig.add_trace(
            go.Bar(
                x=["increase", "decrease", "overall"],
                y=[d["increase_accuracy"], d["decrease_accuracy"], d["accuracy"]],
                name=f"{name}: accuracy",
            ),
            row=1,
            col=2,
        )
    fig.update_yaxes(range=[0, 100], row=1, col=2)
    fig.update_layout(
        height=360, barmode="group", legend={"orientation": "h"}, margin={"l": 50, "r": 20, "t": 50, "b": 40}
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
