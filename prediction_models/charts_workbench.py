"""Plotly figures of the backtest report, as plotly.js dicts (the Epoca GUI's balance history and prediction insight)."""

from __future__ import annotations

from prediction_models.engine.report import trades

LONG, SHORT = "#16a34a", "#dc2626"
LONG_LOST, SHORT_LOST = "#86efac", "#fca5a5"  # lighter: the position lost
MARGIN = {"l": 70, "r": 20, "t": 50, "b": 50}


def _axis(title: str, **more) -> dict:
    return {"title": {"text": title}, "automargin": True, **more}


def report_figures(backtest: dict, min_sums: tuple[float, float] | None) -> dict:
    """Balance after each position (coloured by side) and each position's feature sum (by side and outcome)."""
    rows = trades(backtest)
    if not rows:
        return {}
    numbers = [r["number"] for r in rows]
    labels = [f"#{r['number']} {r['side']} {r['outcome']}<br>{r['entry_time']} → {r['exit_time']}" for r in rows]
    balance = {
        "type": "bar",
        "x": numbers,
        "y": [r["balance_usdt"] for r in rows],
        "customdata": labels,
        "marker": {"color": [LONG if r["side"] == "long" else SHORT for r in rows]},
        "hovertemplate": "%{customdata}<br>balance %{y:.2f} USDT<extra></extra>",
        "name": "balance",
    }
    low = min(r["balance_usdt"] for r in [*rows, {"balance_usdt": backtest["initial_balance"]}])
    figures = {
        "balance": {
            "data": [balance],
            "layout": {
                "title": {
                    "text": f"Balance after each position (initial {backtest['initial_balance']:.2f}, final {backtest['final_balance']:.2f} USDT)"
                },
                "xaxis": _axis("position"),
                "yaxis": _axis("balance (USDT)", range=[low * 0.995, None]),
                "height": 340,
                "margin": MARGIN,
                "shapes": [
                    {
                        "type": "line",
                        "xref": "paper",
                        "x0": 0,
                        "x1": 1,
                        "y0": backtest["initial_balance"],
                        "y1": backtest["initial_balance"],
                        "line": {"dash": "dot", "color": "#64748b"},
                    }
                ],
            },
        }
    }
    colours = {
        ("long", "won"): LONG,
        ("long", "lost"): LONG_LOST,
        ("short", "won"): SHORT,
        ("short", "lost"): SHORT_LOST,
    }
    insight = {
        "type": "bar",
        "x": numbers,
        "y": [r["feature_sum"] for r in rows],
        "customdata": labels,
        "marker": {"color": [colours[(r["side"], r["outcome"])] for r in rows]},
        "hovertemplate": "%{customdata}<br>feature sum %{y:.4f}<extra></extra>",
        "name": "feature sum",
    }
    shapes = []
    if min_sums:
        for value in min_sums:
            shapes.append(
                {
                    "type": "line",
                    "xref": "paper",
                    "x0": 0,
                    "x1": 1,
                    "y0": value,
                    "y1": value,
                    "line": {"dash": "dash", "color": "#334155"},
                }
            )
    figures["insight"] = {
        "data": [insight],
        "layout": {
            "title": {
                "text": "Prediction insight: each position's feature sum (dark: won, light: lost; dashed: min sums)"
            },
            "xaxis": _axis("position"),
            "yaxis": _axis("feature sum"),
            "height": 340,
            "margin": MARGIN,
            "shapes": shapes,
        },
    }
    return figures
