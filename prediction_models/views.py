"""Prediction-model pages: searches of an epoch, one search, one built model."""

from django.shortcuts import get_object_or_404, render

from cluster.selectors import jobs_for_target
from epochs.selectors import epoch_picker
from prediction_models import charts, selectors
from prediction_models.models import PredictionModel
from prediction_models.services import verdicts
from prediction_models.services.pages import model_periods, search_progress
from regressions.selectors import selection_list


def home(request):
    context = epoch_picker(request.GET.get("epoch"))
    epoch = context["epoch"]
    if epoch:
        context.update(searches=selectors.search_list(epoch=epoch), selections=selection_list(epoch=epoch))
    return render(request, "prediction_models/home.html", context)


def search_detail(request, pk: int):
    search = get_object_or_404(selectors.search_list(), pk=pk)
    jobs = list(jobs_for_target(search)[:10])
    live = next((j for j in jobs if j.kind == "prediction_models.find"), None) or (jobs[0] if jobs else None)
    configs = selectors.profitable_config_list(search=search).order_by("-profit", "-accuracy", "config_index")
    return render(
        request,
        "prediction_models/search_detail.html",
        {
            "search": search,
            "jobs": jobs,
            "live_job": live,
            **search_progress(search),
            # The best 100 in the table and the best 5,000 in the chart; the API pages through all of them.
            "configs": configs[:100],
            "models": selectors.model_list(search=search).order_by("rank"),
            "figure": charts.profitable_figure(configs[:5000]),
        },
    )


def model_detail(request, pk: str):
    model = get_object_or_404(
        PredictionModel.objects.select_related("search__epoch__candlestick_set", "profitable_config"), pk=pk
    )
    cert, periods = model_periods(model)
    sides = []
    for period in periods:
        name, perf, part = period.name, period.backtest, period.record
        sides.append(
            {
                "name": name,
                "start": period.start,
                "end": period.end,
                "backtest": perf,
                "metrics": part.get("metrics") or {},
                "record": part,
                "rows": part.get("rows"),
                "refused_rows": part.get("refused_rows"),
                "slug": name.replace(" #", "-").replace(" ", "-"),
                "discovery": part["discovery"],
                "chart_id": f"pm-period-{name}".replace(" #", "-").replace(" ", "-"),
                "figure": charts.period_figure(
                    name, perf, period.equity, period.minutes, symbol=model.search.epoch.candlestick_set.symbol
                ),
                "drawdowns": period.drawdowns,
            }
        )
    discovery = charts.discovery_figure([(side["name"], side["discovery"]) for side in sides])
    epoch = model.search.epoch
    return render(
        request,
        "prediction_models/model_detail.html",
        {
            "model": model,
            "cert": cert,
            "sides": sides,
            "discovery_figure": discovery,
            "regressions": cert["model"]["regressions"],
            "epoch": epoch,
            "forward_tests": selectors.forward_tests_of(model, done_only=False),
            "verdict": verdicts.model_verdict(model),
        },
    )
