"""Regression pages: batches, one batch compared, one regression, selections."""
from django.shortcuts import get_object_or_404, render

from cluster.selectors import jobs_for_target
from core.files import read_json
from epochs.models import Epoch
from epochs.selectors import default_epoch
from epochs.services.paths import epoch_dir
from regressions import charts, selectors
from regressions.engine.ebe import regression_evaluation
from regressions.engine.pipeline import SAMPLES, regression_dir
from regressions.models import Regression


def home(request):
    epochs = Epoch.objects.order_by("-created")
    epoch = default_epoch(epochs, request.GET.get("epoch"))
    context = {"epochs": epochs, "epoch": epoch}
    if epoch:
        context.update(batches=selectors.batch_list(epoch=epoch).order_by("category", "number"),
                       selections=selectors.selection_list(epoch=epoch))
    return render(request, "regressions/home.html", context)


def batch_detail(request, pk: int):
    batch = get_object_or_404(selectors.batch_list(), pk=pk)
    regressions = list(selectors.regression_list().filter(config__batch=batch).order_by("config__position"))
    return render(request, "regressions/batch_detail.html", {
        "batch": batch, "regressions": regressions, "figures": charts.batch_figures(regressions),
        "jobs": jobs_for_target(batch)[:5],
    })


def regression_detail(request, pk: str):
    regression = get_object_or_404(Regression.objects.select_related("config__batch", "epoch"), pk=pk)
    context = {"regression": regression, "config": regression.config.config, "jobs": jobs_for_target(regression.config)[:5]}
    if regression.status == "trained":
        cert = selectors.regression_certificate(regression)
        samples_file = regression_dir(epoch_dir(regression.epoch_id), regression.config_id) / SAMPLES
        samples = read_json(samples_file) if samples_file.exists() else []
        context.update(cert=cert, figures=charts.regression_figures(cert, samples), ebe=regression_evaluation(cert),
                       layers=cert["regression_config"]["summary"]["layers"])
    return render(request, "regressions/regression_detail.html", context)


def selection_detail(request, pk: int):
    selection = get_object_or_404(selectors.selection_list(), pk=pk)
    return render(request, "regressions/selection_detail.html", {
        "selection": selection, "figure": charts.ranking_figure(selection.ranking, set(selection.regression_ids)),
        "chosen": set(selection.regression_ids),
    })
