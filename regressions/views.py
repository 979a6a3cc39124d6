"""Regression pages: batches, one batch compared, one regression, selections."""

from django.shortcuts import get_object_or_404, render

from cluster.selectors import jobs_for_target
from epochs.selectors import epoch_picker
from regressions import charts, selectors
from regressions.models import Regression
from regressions.services.pages import regression_page


def home(request):
    context = epoch_picker(request.GET.get("epoch"))
    epoch = context["epoch"]
    if epoch:
        context.update(
            batches=selectors.batch_list(epoch=epoch).order_by("category", "number"),
            selections=selectors.selection_list(epoch=epoch),
        )
    return render(request, "regressions/home.html", context)


def batch_detail(request, pk: int):
    batch = get_object_or_404(selectors.batch_list(), pk=pk)
    regressions = list(selectors.regression_list().filter(config__batch=batch).order_by("config__position"))
    return render(
        request,
        "regressions/batch_detail.html",
        {
            "batch": batch,
            "regressions": regressions,
            "figures": charts.batch_figures(regressions),
            "jobs": jobs_for_target(batch)[:5],
        },
    )


def regression_detail(request, pk: str):
    regression = get_object_or_404(Regression.objects.select_related("config__batch", "epoch"), pk=pk)
    context = {
        "regression": regression,
        "config": regression.config.config,
        "jobs": jobs_for_target(regression.config)[:5],
    }
    if regression.status == "trained":
        cert, samples, ebe = regression_page(regression)
        context.update(
            cert=cert,
            figures=charts.regression_figures(cert, samples),
            ebe=ebe,
            layers=cert["regression_config"]["summary"]["layers"],
        )
    return render(request, "regressions/regression_detail.html", context)


def selection_detail(request, pk: int):
    selection = get_object_or_404(selectors.selection_list(), pk=pk)
    return render(
        request,
        "regressions/selection_detail.html",
        {
            "selection": selection,
            "figure": charts.ranking_figure(selection.ranking, set(selection.regression_ids)),
            "chosen": set(selection.regression_ids),
        },
    )
