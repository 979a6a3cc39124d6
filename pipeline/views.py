"""The pages that need every stage: an epoch's page (the pipeline overview, its exports), the
Epoch File download and inspection. Served under ``/epochs/`` beside the epochs app's pages."""

from django.conf import settings
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET, require_http_methods

from cluster.selectors import jobs_for_target
from core.errors import ApplicationError
from core.uploads import limit_uploads, upload_refusal
from epochs import charts, selectors
from epochs.engine.epoch import EPOCH_JSON_TIMES
from epochs.services import pages
from pipeline.engine.epoch_file import EpochFileError
from pipeline.overview import epoch_pipeline, with_action_bodies
from pipeline.services import inspection
from pipeline.services.export import can_withdraw_export, export_download_file, exported_model_verdict, latest_export


def epoch_detail(request, pk: str):
    epoch = get_object_or_404(selectors.epoch_list(), pk=pk)
    page = pages.epoch_page(epoch)
    context = {
        "epoch": epoch,
        "jobs": jobs_for_target(epoch)[:10],
        "receipt": page.receipt,
        "stages": with_action_bodies(epoch_pipeline(epoch)),
        "disk_usage": page.disk_usage,
        "config": page.config,
        "time_keys": EPOCH_JSON_TIMES,
        "exports": epoch.exports.all(),
        "can_withdraw": can_withdraw_export(request.user),
        "verdict": exported_model_verdict(epoch),
    }
    if page.charts is not None:
        series = page.charts
        context["figures"] = charts.epoch_figures(series.prediction, series.sma, series.normalized, series.ranges)
        context["ranges"] = series.ranges
    return render(request, "epochs/epoch_detail.html", context)


@require_GET
def epoch_download(request, pk: str):
    """The epoch's latest Epoch File (streamed)."""
    epoch = get_object_or_404(selectors.epoch_list(), pk=pk)
    export = latest_export(epoch)
    if export is None:
        raise Http404(f"Epoch {pk} has not been exported.")
    try:
        file = export_download_file(export)
    except ApplicationError as exc:
        raise Http404(exc.message) from None
    return FileResponse(file, as_attachment=True, filename=export.file_name, content_type="application/zip")


@require_http_methods(["GET", "POST"])
def epoch_file_inspect(request):
    """Upload any Epoch File and see what Epoca would install: read in memory, nothing kept."""
    context = {}
    limit_uploads(request, settings.EPOCH_FILE_MAX_BYTES, "the Epoch File")
    upload = request.FILES.get("file") if request.method == "POST" else None
    if upload_refusal(request):
        context["error"] = upload_refusal(request)
    elif request.method == "POST" and upload is None:
        context["error"] = "Choose an Epoch File (<EPOCH_ID>.zip) to inspect."
    elif upload is not None:
        try:
            report = inspection.epoch_file_inspection(upload, name=upload.name)
        except EpochFileError as exc:
            context["error"] = str(exc)
        else:
            context.update(
                report=report,
                figures=charts.epoch_file_figures(report),
                regressions=_regression_rows(report),
                time_keys=EPOCH_JSON_TIMES,
            )
    status = 413 if upload_refusal(request) else 400 if context.get("error") else 200
    return render(request, "epochs/inspect.html", context, status=status)


def _regression_rows(report: dict) -> list[dict]:
    certificates = {c.get("id"): c for c in report["regression_certificates"] if isinstance(c, dict)}
    rows = []
    for config in report["model_certificate"]["model"]["regressions"]:
        certificate = certificates.get(config.get("id"), {})
        rows.append(
            {
                "id": config.get("id"),
                "certificate": certificate,
                "model": report["models"].get(config.get("id"), {}),
                "evaluation": certificate.get("test_ds_evaluation", {}),
                "accuracy": (certificate.get("discovery") or {}).get("accuracy"),
            }
        )
    return rows
