"""Epoch and candlestick pages (charts are built server-side, rendered by our own plotly.js)."""

from django.shortcuts import render

from cluster.selectors import jobs_for_target
from epochs import charts, selectors
from epochs.forms import CandleImportForm, EpochCreateForm
from epochs.services import pages


def candles(request):
    sets = list(selectors.candlestick_set_list())
    figures = {}
    for candle_set in sets:
        if candle_set.candles:
            data = pages.store_candles(candle_set, 15)
            figures[candle_set.pk] = charts.price_figure(
                data, title=f"{candle_set.name}", gaps=candle_set.report.get("gaps", {}).get("gaps")
            )
    rows = [(s, figures.get(s.pk), jobs_for_target(s)[:5]) for s in sets]
    return render(request, "epochs/candles.html", {"rows": rows, "form": CandleImportForm()})


def epoch_list(request):
    epochs = [(epoch, epoch.disk_bytes) for epoch in selectors.epoch_list()]
    return render(
        request,
        "epochs/epoch_list.html",
        {"epochs": epochs, "form": EpochCreateForm(), "candle_sets": selectors.candlestick_set_list()},
    )
