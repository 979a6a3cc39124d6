"""Regression pages: batches, one batch compared, one regression, selections."""

from django.shortcuts import get_object_or_404, render

from cluster.selectors import jobs_for_target
from epochs.selectors import epoch_picker
from regressions import charts, report, selectors
from regressions.choices import RegressionStatus
from regressions.models import Regression
from regressions.services.pages import regression_page, training_histories
from regressions.workbench import flattened


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
            "live": [
                {"partial": partial, "figure": charts.live_curve_figure(partial)}
                for partial in training_histories(regressions)
            ],
            "jobs": jobs_for_target(batch)[:5],
        },
    )


def regression_detail(request, pk: str):
    regression = get_object_or_404(Regression.objects.select_related("config__batch", "epoch"), pk=pk)
    config = regression.config.config
    context = {
        "regression": regression,
        "config_rows": sorted(flattened(config).items()),
        "jobs": jobs_for_target(regression.config)[:5],
    }
    for partial in training_histories([regression]):  # training now, a first time or again
        context["live"] = {"partial": partial, "figure": charts.live_curve_figure(partial)}
    if regression.status == RegressionStatus.TRAINED:
        cert, samples, ebe = regression_page(regression)
        context.update(
            cert=cert,
            figures=charts.regression_figures(cert, samples),
            ebe=ebe,
            ebe_rows=report.ebe_breakdown(ebe),
            layers=cert["regression_config"]["summary"]["layers"],
            summary=report.summary(cert),
            dataset=report.dataset_summary(cert),
            hyperparameters=report.hyperparameters(cert, config),
            discovery=report.discovery_tables(cert),
            epochs=report.epoch_rows(cert),
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
