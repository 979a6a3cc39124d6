"""Plotly figures of the backtest report, as plotly.js dicts (the Epoca GUI's balance history, prediction
insight and prediction dialog).

Colours (core/colours.py): a bar's fill is the position's side (long, short), its outline the
outcome (won, lost): two questions, two colour pairs.
"""

from __future__ import annotations

from core.colours import LONG, LOST, REFERENCE_DARK, SHORT, WON
from prediction_models.engine.report import trades

MARGIN = {"l": 70, "r": 20, "t": 70, "b": 50}
SIDE_COLOURS = {"long": LONG, "short": SHORT}
OUTCOME_COLOURS = {"won": WON, "lost": LOST}


def _axis(title: str, **more) -> dict:
    return {"title": {"text": title}, "automargin": True, **more}


def _level(value: float, label: str) -> tuple[dict, dict]:
    """A dashed horizontal line across the chart and its label."""
    line = {
        "type": "line",
        "xref": "paper",
        "x0": 0,
        "x1": 1,
        "y0": value,
        "y1": value,
        "line": {"dash": "dash", "color": REFERENCE_DARK},
    }
    note = {
        "xref": "paper",
        "x": 1,
        "y": value,
        "text": label,
        "showarrow": False,
        "xanchor": "right",
        "yanchor": "bottom",
    }
    return line, note


def _min_sum_layout(title: str, x_title: str, y_title: str, height: int, min_sums: tuple[float, float] | None) -> dict:
    """A feature-sum chart's layout: its titles, with the min sums as dashed levels."""
    levels = (
        [
            _level(value, f"min {name} sum {value:g}")
            for name, value in zip(("increase", "decrease"), min_sums, strict=True)
        ]
        if min_sums
        else []
    )
    return {
        "title": {"text": title},
        "xaxis": _axis(x_title),
        "yaxis": _axis(y_title),
        "height": height,
        "margin": MARGIN,
        "shapes": [line for line, _ in levels],
        "annotations": [note for _, note in levels],
    }


def _side_and_outcome(rows: list[dict]) -> dict:
    return {
        "color": [SIDE_COLOURS[r["side"]] for r in rows],
        "line": {"color": [OUTCOME_COLOURS[r["outcome"]] for r in rows], "width": 3},
    }


def report_figures(backtest: dict, min_sums: tuple[float, float] | None) -> dict:
    """Balance after each position and each position's feature sum (fill: side, outline: outcome)."""
    rows = trades(backtest)
    if not rows:
        return {}
    numbers = [r["number"] for r in rows]
    labels = [f"#{r['number']} {r['side']} {r['outcome']}<br>{r['entry_time']} → {r['exit_time']}" for r in rows]
    balance = {
        "type": "bar",
        "x": numbers,
        "y": [r["balance_usdt"] for r in rows],
        "text": [f"{r['balance_usdt']:.2f}" for r in rows],
        "textposition": "auto",
        "customdata": labels,
        "marker": _side_and_outcome(rows),
        "hovertemplate": "%{customdata}<br>balance %{y:.2f} USDT<extra></extra>",
        "name": "balance",
    }
    low = min(r["balance_usdt"] for r in [*rows, {"balance_usdt": backtest["initial_balance"]}])
    initial_line, initial_note = _level(backtest["initial_balance"], f"initial {backtest['initial_balance']:.2f} USDT")
    figures = {
        "balance": {
            "data": [balance],
            "layout": {
                "title": {
                    "text": f"Balance after each position (initial {backtest['initial_balance']:.2f}, final {backtest['final_balance']:.2f} USDT)<br><sup>fill: side (long blue, short orange) · outline: outcome (won green, lost red)</sup>"
                },
                "xaxis": _axis("position (#)"),
                "yaxis": _axis("balance (USDT)", range=[low * 0.995, None]),
                "height": 340,
                "margin": MARGIN,
                "shapes": [initial_line],
                "annotations": [initial_note],
            },
        }
    }
    insight = {
        "type": "bar",
        "x": numbers,
        "y": [r["feature_sum"] for r in rows],
        "text": [f"{r['feature_sum']:.3f}" for r in rows],
        "textposition": "auto",
        "customdata": labels,
        "marker": _side_and_outcome(rows),
        "hovertemplate": "%{customdata}<br>feature sum %{y:.4f}<extra></extra>",
        "name": "feature sum",
    }
    figures["insight"] = {
        "data": [insight],
        "layout": _min_sum_layout(
            "Prediction insight: each position's feature sum<br><sup>fill: side (long blue, short orange) · "
            "outline: outcome (won green, lost red) · dashed: min sums</sup>",
            "position (#)",
            "feature sum",
            340,
            min_sums,
        ),
    }
    return figures


def prediction_figures(backtest: dict, regressions: list[dict], min_sums: tuple[float, float] | None) -> dict:
    """The prediction dialog of each position (by its number): a bar per regression feature and their
    sum against the min sums, as the position's prediction (``p.f``) holds them."""
    figures = {}
    for number, position in enumerate(backtest["positions"], start=1):
        values = list(position["p"]["f"])
        names = [
            (regressions[i].get("id") if i < len(regressions) else None) or f"feature {i + 1}"
            for i in range(len(values))
        ]
        side = "long" if position["t"] == 1 else "short"
        outcome = "won" if position["o"] else "lost"
        total = round(sum(values), 6)
        colours = [SIDE_COLOURS[side]] * len(values) + [REFERENCE_DARK]
        figures[str(number)] = {
            "data": [
                {
                    "type": "bar",
                    "x": [*names, "sum"],
                    "y": [*values, total],
                    "text": [f"{v:.4f}" for v in [*values, total]],
                    "textposition": "auto",
                    "marker": {"color": colours, "line": {"color": OUTCOME_COLOURS[outcome], "width": 2}},
                    "name": "feature",
                    "hovertemplate": "%{x}: %{y:.6f}<extra></extra>",
                }
            ],
            "layout": _min_sum_layout(
                f"Position #{number}: {side}, {outcome}: each regression's feature and their sum",
                "regression (feature order)",
                "feature value",
                360,
                min_sums,
            ),
        }
    return figures
