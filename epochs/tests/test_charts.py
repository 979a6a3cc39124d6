"""The candle and epoch charts: axis titles on every chart, colours from core.colours, labelled bars."""

import numpy as np

from core import colours
from epochs import charts
from epochs.engine.candles import Candles
from epochs.engine.ranges import epoch_ranges

START = 1609459200000
CONVENTION = {v.lower() for k, v in vars(colours).items() if k.isupper() and isinstance(v, str)}


def _candles(n: int = 400):
    ot = START + 900_000 * np.arange(n)
    c = 30_000 + np.cumsum(np.sin(np.arange(n) / 7.0) * 20)
    return Candles(ot=ot, ct=ot + 899_999, o=c - 5, h=c + 10, l=c - 10, c=c, v=np.ones(n))


def _colours(figure: dict) -> set[str]:
    """Every colour the figure names (traces, markers, shapes), lower case."""
    found: set[str] = set()

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("color", "fillcolor", "line_color", "marker_color") and isinstance(value, str):
                    found.add(value.lower())
                elif key == "color" and isinstance(value, list):
                    found.update(v.lower() for v in value if isinstance(v, str))
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk({"data": figure["data"], "shapes": figure["layout"].get("shapes", [])})
    return found


def _axis_titles(figure: dict) -> tuple[str, str]:
    layout = figure["layout"]
    return layout["xaxis"]["title"]["text"], layout["yaxis"]["title"]["text"]


def _figures() -> dict[str, dict]:
    candles = _candles()
    ranges = epoch_ranges(rows=400, train_split=0.75, lookback=10, predictions=5, holdout_share=0.25, purge=True)
    sma = candles.c * 0.99
    normalized = (sma - sma.min()) / (sma.max() - sma.min())
    report = {
        "model_certificate": {
            "backtest": {
                "initial_balance": 1000,
                "positions": [{"ct": START + 86_400_000 * i, "b": 1000 + 10 * i, "o": i % 2 == 0} for i in range(5)],
            }
        },
        "regression_certificates": [
            {"id": f"R{i}", "test_ds_evaluation": {"mean_absolute_error": 0.01 * i, "mean_squared_error": 0.001 * i}}
            for i in range(1, 4)
        ],
    }
    return {
        "candles": charts.price_figure(candles, title="BTCUSDT", gaps=[{"start": START, "end": START + 3_600_000}]),
        **charts.epoch_figures(candles, sma, normalized, ranges),
        **charts.epoch_file_figures(report),
    }


def test_every_chart_has_axis_titles():
    figures = _figures()
    assert set(figures) == {"candles", "price", "normalized", "balance", "metrics"}
    for name, figure in figures.items():
        x, y = _axis_titles(figure)
        assert x and y, name
    assert _axis_titles(figures["price"]) == ("time (UTC)", "price (USDT)")
    assert _axis_titles(figures["balance"]) == ("position closed (UTC)", "balance (USDT)")


def test_every_colour_is_the_conventions():
    for name, figure in _figures().items():
        used = _colours(figure)
        assert used and used <= CONVENTION, (name, used - CONVENTION)


def test_won_and_lost_positions_and_rising_candles_read_as_everywhere():
    figures = _figures()
    markers = figures["balance"]["data"][0]["marker"]["color"]
    assert markers == [colours.WON, colours.LOST, colours.WON, colours.LOST, colours.WON]
    candle = figures["candles"]["data"][0]
    assert (candle["increasing"]["line"]["color"], candle["decreasing"]["line"]["color"]) == (
        colours.INCREASE,
        colours.DECREASE,
    )


def test_bars_are_labelled_with_their_values():
    bars = _figures()["metrics"]["data"]
    assert [bar["text"] for bar in bars] == [["0.01", "0.02", "0.03"], ["0.001", "0.002", "0.003"]]


def test_the_stylesheet_colours_sides_and_outcomes_as_the_charts_do():
    import re
    from pathlib import Path

    from django.conf import settings

    css = (Path(settings.BASE_DIR) / "static" / "epoca_builder" / "app.css").read_text()
    rules = dict(re.findall(r"(\.side-long|\.side-short|td\.won|td\.lost) \{ color:(#[0-9a-f]{6}); \}", css))
    assert rules == {
        ".side-long": colours.LONG,
        ".side-short": colours.SHORT,
        "td.won": colours.WON,
        "td.lost": colours.LOST,
    }
