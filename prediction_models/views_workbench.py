"""The prediction-models list and each model's backtest report (trade list, CSV, long/short, monthly returns)."""

import dataclasses

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render

from prediction_models import charts_compare, charts_workbench
from prediction_models.engine.metrics import MODEL_METRICS
from prediction_models.models import PredictionModel
from prediction_models.services import pages
from prediction_models.workbench import FORWARD_COLUMNS, SORTS, model_list_page, page_badges, row_cells

COLUMNS = [(m.column, m.heading) for m in MODEL_METRICS]


def model_list(request):
    filterset, sort, page, rows, duplicates, badges = model_list_page(request.GET)
    for model in rows:  # the table's cells, in its columns' order
        model.metric_cells = row_cells(model, badges)
    query = request.GET.copy()
    query.pop("page", None)
    headers = []
    for key, label in COLUMNS:
        params = query.copy()
        params["sort"] = key if sort == f"-{key}" else f"-{key}"
        headers.append(
            {
                "key": key,
                "label": label,
                "url": f"?{params.urlencode()}",
                "arrow": ("▼" if sort.startswith("-") else "▲") if sort.lstrip("-") == key else "",
            }
        )
    return render(
        request,
        "prediction_models/model_list.html",
        {
            "filterset": filterset,
            "page": page,
            "rows": [(m, duplicates[m.id]) for m in rows],
            "headers": headers,
            "forward_headers": [label for _, label, _ in FORWARD_COLUMNS],
            "query": query.urlencode(),
            "total": page.paginator.count,
            "sorts": SORTS,
        },
    )


def model_report(request, pk: str):
    model = get_object_or_404(PredictionModel.objects.select_related("search"), pk=pk)
    cert, ebe, periods = pages.model_report(model)
    model_config = cert.get("model") or {}
    min_sums = (
        (model_config["min_increase_sum"], model_config["min_decrease_sum"])
        if "min_increase_sum" in model_config and "min_decrease_sum" in model_config
        else None
    )
    return render(
        request,
        "prediction_models/model_report.html",
        {
            "model": model,
            "cert": cert,
            "ebe": ebe,
            "periods": [
                {
                    **dataclasses.asdict(period),
                    "figures": charts_workbench.report_figures(period.backtest, min_sums),
                    "predictions": charts_workbench.prediction_figures(
                        period.backtest, model_config.get("regressions") or [], min_sums
                    ),
                }
                for period in periods
            ],
        },
    )


def model_trades_csv(request, pk: str, period: str = "selection"):
    model = get_object_or_404(PredictionModel.objects.select_related("search"), pk=pk)
    text = pages.model_trades_csv(model, period)
    if text is None:
        return HttpResponse(f"{model.id} has no holdout backtest.", status=404, content_type="text/plain")
    response = HttpResponse(text, content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{model.id}_{period}_trades.csv"'
    return response


def model_compare(request):
    """Several built models side by side: figures with Best/Worst badges, balance lines, bars, hyper-parameter counts."""
    ids = [i for value in request.GET.getlist("ids") for i in value.split(",") if i]
    models, certs, missing = pages.compared_models(ids)
    if missing or not models:
        raise Http404(f"Not built models: {', '.join(missing) or 'none chosen'}")
    badges = page_badges(models)
    return render(
        request,
        "prediction_models/compare.html",
        {
            "rows": [(m, row_cells(m, badges)) for m in models],
            "headers": [label for _, label in COLUMNS] + [label for _, label, _ in FORWARD_COLUMNS],
            "balance": charts_compare.balance_figure(certs),
            "bars": charts_compare.bar_figures(certs),
            "discovery": charts_compare.discovery_figures(certs),
            "hyper_parameters": charts_compare.hyper_parameter_figures(certs),
            "ids": ",".join(m.id for m in models),
        },
    )
