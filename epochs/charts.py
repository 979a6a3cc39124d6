"""Plotly figures for the candle and epoch pages, as JSON-ready dicts (downsampled)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from core import colours
from epochs.engine.ranges import EpochRanges

MAX_POINTS = 2500
BUCKETS_MINUTES = (15, 60, 240, 1440, 10080)


TIME_AXIS = "time (UTC)"
PRICE_AXIS = "price (USDT)"


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
    # Rising and falling candles read like a regression's increase and decrease (core.colours).
    fig = go.Figure(
        go.Candlestick(
            x=_dates(data.ot),
            open=data.o,
            high=data.h,
            low=data.l,
            close=data.c,
            name="BTCUSDT",
            increasing={"line": {"color": colours.INCREASE}, "fillcolor": colours.INCREASE},
            decreasing={"line": {"color": colours.DECREASE}, "fillcolor": colours.DECREASE},
        )
    )
    for gap in (gaps or [])[:200]:
        fig.add_vrect(
            x0=_dates([gap["start"]])[0], x1=_dates([gap["end"]])[0], fillcolor=colours.GAP, opacity=0.25, line_width=0
        )
    bucket = int(data.bucket.iloc[0]) if len(data) else 0
    fig.update_layout(
        title=f"{title} ({bucket}-minute candles)" if bucket else title,
        xaxis_rangeslider_visible=False,
        xaxis_title=TIME_AXIS,
        yaxis_title=PRICE_AXIS,
        margin={"l": 60, "r": 20, "t": 50, "b": 50},
        height=420,
    )
    return to_dict(fig)


def epoch_figures(prediction, sma, normalized, ranges: EpochRanges) -> dict:
    """Price with its SMA, and the normalised series, with the epoch's ranges shaded."""
    step = max(1, len(prediction) // MAX_POINTS)
    x = _dates(prediction.ot[::step])
    price = go.Figure()
    price.add_trace(
        go.Scatter(x=x, y=prediction.c[::step], name="close", line={"width": 1, "color": colours.REFERENCE})
    )
    price.add_trace(go.Scatter(x=x, y=sma[::step], name="SMA", line={"width": 2, "color": colours.MAIN}))
    norm = go.Figure(go.Scatter(x=x, y=normalized[::step], name="normalised SMA", line={"color": colours.MAIN}))
    ot = prediction.ot
    end = int(prediction.ct[-1])
    shades = [
        ("training", 0, min(ranges.train_end, ranges.test_row), colours.TRAINING),
        ("purge", ranges.train_end, ranges.test_row, colours.PURGE),
        ("training overlaps the test range (no purge)", ranges.test_row, ranges.train_end, colours.PURGE),
        ("test: selection", ranges.test_row, ranges.holdout_row, colours.SELECTION),
        ("test: holdout", ranges.holdout_row, ranges.rows, colours.HOLDOUT),
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
        fig.update_layout(
            margin={"l": 60, "r": 20, "t": 40, "b": 50}, height=380, legend={"orientation": "h"}, xaxis_title=TIME_AXIS
        )
    price.update_layout(title="Price and SMA", yaxis_title=PRICE_AXIS)
    norm.update_layout(title="Normalised SMA (regression input)", yaxis_title="normalised SMA (0 to 1)")
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
                marker={"color": [colours.WON if p.get("o") else colours.LOST for p in positions], "size": 6},
                line={"color": colours.MAIN},
                name="balance",
            )
        )
        if isinstance(backtest.get("initial_balance"), (int, float)):
            balance.add_hline(y=backtest["initial_balance"], line_dash="dot", line_color=colours.REFERENCE)
        balance.update_layout(
            title="Backtest balance after each position (green: won, red: lost)",
            xaxis_title="position closed (UTC)",
            yaxis_title="balance (USDT)",
            height=360,
            margin={"l": 60, "r": 20, "t": 50, "b": 50},
        )
        figures["balance"] = to_dict(balance)
    certificates = [c for c in report["regression_certificates"] if isinstance(c, dict)]
    if certificates:
        ids = [str(c.get("id", "?")) for c in certificates]
        metrics = go.Figure()
        for metric, colour in (("mean_absolute_error", colours.MAIN), ("mean_squared_error", colours.SECOND)):
            values = [(c.get("test_ds_evaluation") or {}).get(metric) for c in certificates]
            metrics.add_trace(
                go.Bar(
                    x=ids,
                    y=values,
                    name=metric,
                    marker_color=colour,
                    text=["" if v is None else f"{v:.4g}" for v in values],
                    textposition="outside",
                )
            )
        metrics.update_layout(
            title="Regressions: test-set evaluation",
            xaxis_title="regression",
            yaxis_title="error on the test set",
            barmode="group",
            height=360,
            margin={"l": 50, "r": 20, "t": 50, "b": 120},
        )
        figures["metrics"] = to_dict(metrics)
    return figures
