"""Epoch and candlestick pages (charts are built server-side, rendered by our own plotly.js)."""
from django.shortcuts import get_object_or_404, render

from cluster.selectors import jobs_for_target
from epochs import charts, selectors
from epochs.engine.ranges import epoch_ranges
from epochs.forms import CandleImportForm, EpochCreateForm


def candles(request):
    sets = list(selectors.candlestick_set_list())
    figures = {}
    for candle_set in sets:
        if candle_set.candles:
            data = selectors.store_candles(candle_set, 15)
            figures[candle_set.pk] = charts.price_figure(data, title=f"{candle_set.name}", gaps=candle_set.report.get("gaps", {}).get("gaps"))
    rows = [(s, figures.get(s.pk), jobs_for_target(s)[:5]) for s in sets]
    return render(request, "epochs/candles.html", {"rows": rows, "form": CandleImportForm()})


def epoch_list(request):
    return render(request, "epochs/epoch_list.html", {"epochs": selectors.epoch_list(), "form": EpochCreateForm()})


def epoch_detail(request, pk: str):
    epoch = get_object_or_404(selectors.epoch_list(), pk=pk)
    context = {"epoch": epoch, "jobs": jobs_for_target(epoch)[:10], "receipt": selectors.epoch_receipt(epoch),
               "config": selectors.epoch_config(epoch)}
    if epoch.is_ready:
        _, prediction, normalized = selectors.epoch_candles(epoch)
        ranges = epoch_ranges(rows=len(prediction), train_split=epoch.train_split, lookback=epoch.regression_lookback,
                              predictions=epoch.regression_predictions,
                              holdout_share=epoch.holdout_share, purge=epoch.purge)
        # The SMA is the normalised series scaled back (the row at the minimum shows the
        # zero-avoidance value, a hair above the true minimum).
        sma = normalized * (epoch.highest_price_sma - epoch.lowest_price_sma) + epoch.lowest_price_sma
        context["figures"] = charts.epoch_figures(prediction, sma, normalized, ranges)
        context["ranges"] = ranges
    return render(request, "epochs/epoch_detail.html", context)
