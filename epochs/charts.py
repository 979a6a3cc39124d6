"""Plotly figures for the candle and epoch pages, as JSON-ready dicts (downsampled)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from epochs.engine.ranges import EpochRanges

MAX_POINTS = 2500
BUCKETS_MINUTES = (15, 60, 240, 1440, 10080)


def to_dict(fig: go.Figure) -> dict:
    return json.loads(pio.to_json(fig, validate=False))


def _dates(ms) -> pd.DatetimeIndex:
    return pd.to_datetime(np.asarray(ms), unit="ms", utc=True)


def downsample_ohlc(ot, o, h, l, c, *, max_points: int = MAX_POINTS) -> pd.DataFrame:
    """OHLC in the smallest bucket (15m .. 1w) that keeps at most ``max_points`` candles."""
    frame = pd.DataFrame({"ot": np.asarray(ot), "o": o, "h": h, "l": l, "c": c})
    if frame.empty:
        return frame
    span_minutes = (frame.ot.iloc[-1] - frame.ot.iloc[0]) / 60_000
    bucket = next((b for b in BUCKETS_MINUTES if span_minutes / b <= max_points), BUCKETS_MINUTES[-1])
    key = frame.ot // (bucket * 60_000)
    grouped = frame.groupby(key, sort=True)
    return (
        pd.DataFrame(
            {
                "ot": grouped.ot.first(),
                "o": grouped.o.first(),
                "h": grouped.h.max(),
                "l": grouped.l.min(),
                "c": grouped.c.last(),
            }
        )
        .reset_index(drop=True)
        .assign(bucket=bucket)
    )


def price_figure(candles, *, title: str, gaps: list[dict] | None = None) -> dict:
    data = downsample_ohlc(candles.ot, candles.o, candles.h, candles.l, candles.c)
    fig = go.Figure(
        go.Candlestick(x=_dates(data.ot), open=data.o, high=data.h, low=data.l, close=data.c, name="BTCUSDT")
    )
    for gap in (gaps or [])[:200]:
        fig.add_vrect(
            x0=_dates([gap["start"]])[0], x1=_dates([gap["end"]])[0], fillcolor="#c62828", opacity=0.25, line_width=0
        )
    bucket = int(data.bucket.iloc[0]) if len(data) else 0
    fig.update_layout(
        title=f"{title} ({bucket}-minute candles)" if bucket else title,
        xaxis_rangeslider_visible=False,
        margin={"l": 50, "r": 20, "t": 50, "b": 40},
        height=420,
    )
    return to_dict(fig)


def epoch_figures(prediction, sma, normalized, ranges: EpochRanges) -> dict:
    """Price with its SMA, and the normalised series, with the epoch's ranges shaded."""
    step = max(1, len(prediction) // MAX_POINTS)
    x = _dates(prediction.ot[::step])
    price = go.Figure()
    price.add_trace(go.Scatter(x=x, y=prediction.c[::step], name="close", line={"width": 1, "color": "#94a3b8"}))
    price.add_trace(go.Scatter(x=x, y=sma[::step], name="SMA", line={"width": 2, "color": "#2f6fed"}))
    norm = go.Figure(go.Scatter(x=x, y=normalized[::step], name="normalised SMA", line={"color": "#7c3aed"}))
    ot = prediction.ot
    end = int(prediction.ct[-1])
    shades = [
        ("training", 0, min(ranges.train_end, ranges.test_row), "#16a34a"),
        ("purge", ranges.train_end, ranges.test_row, "#f59e0b"),
        ("training overlaps the test range (no purge)", ranges.test_row, ranges.train_end, "#f59e0b"),
        ("test: selection", ranges.test_row, ranges.holdout_row, "#2563eb"),
        ("test: holdout", ranges.holdout_row, ranges.rows, "#dc2626"),
    ]
    # Labels alternate top/bottom among the drawn ranges, so that neighbours never overlap.
    shades = [shade for shade in shades if shade[2] > shade[1]]
    for fig in (price, norm):
        for n, (label, lo, hi, color) in enumerate(shades):
            x1 = int(ot[hi]) if hi < len(ot) else end
            fig.add_vrect(
                x0=_dates([int(ot[lo])])[0],
                x1=_dates([x1])[0],
                fillcolor=color,
                opacity=0.08,
                line_width=0,
                annotation_text=label,
                annotation_position="top left" if n % 2 == 0 else "bottom left",
            )
        fig.update_layout(margin={"l": 50, "r": 20, "t": 40, "b": 40}, height=380, legend={"orientation": "h"})
    price.update_layout(title="Price and SMA")
    norm.update_layout(title="Normalised SMA (regression input)")
    return {"price": to_dict(price), "normalized": to_dict(norm)}


def epoch_file_figures(report: dict) -> dict:
    """Charts of an inspected Epoch File: the backtest's balance curve and the regressions' test metrics."""
    figures = {}
    backtest = report["model_certificate"].get("backtest") or {}
    positions = [p for p in backtest.get("positions") or [] if isinstance(p, dict)]
    if positions:
        balance = go.Figure(
            go.Scatter(
                x=_dates([p.get("ct") for p in positions]),
                y=[p.get("b") for p in positions],
                mode="lines+markers",
                marker={"color": ["#16a34a" if p.get("o") else "#dc2626" for p in positions], "size": 6},
                line={"color": "#2f6fed"},
                name="balance",
            )
        )
        if isinstance(backtest.get("initial_balance"), (int, float)):
            balance.add_hline(y=backtest["initial_balance"], line_dash="dot", line_color="#94a3b8")
        balance.update_layout(
            title="Backtest balance after each position (green: won, red: lost)",
            height=360,
            margin={"l": 50, "r": 20, "t": 50, "b": 40},
        )
        figures["balance"] = to_dict(balance)
    certificates = [c for c in report["regression_certificates"] if isinstance(c, dict)]
    if certificates:
        ids = [str(c.get("id", "?")) for c in certificates]
        metrics = go.Figure()
        for metric in ("mean_absolute_error", "mean_squared_error"):
            metrics.add_trace(
                go.Bar(x=ids, y=[(c.get("test_ds_evaluation") or {}).get(metric) for c in certificates], name=metric)
            )
        metrics.update_layout(
            title="Regressions: test-set evaluation",
            barmode="group",
            height=360,
            margin={"l": 50, "r": 20, "t": 50, "b": 120},
        )
        figures["metrics"] = to_dict(metrics)
    return figures
