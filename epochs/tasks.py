"""Job handlers of the epochs app: thin wrappers around services."""
from __future__ import annotations

from cluster.jobs import JobContext, JobFailed, job_handler
from core.errors import ApplicationError
from epochs.engine.errors import CandleImportError
from epochs.models import Epoch
from epochs.services.candles import candle_import_run
from epochs.services.epochs import epoch_build


@job_handler("epochs.import_candles", label="Import candlesticks", max_attempts=3)
def import_candles(ctx: JobContext) -> dict:
    return _import(ctx)


@job_handler("epochs.import_bundle", label="Import a candlestick bundle", max_attempts=1)
def import_bundle(ctx: JobContext) -> dict:
    return _import(ctx)


def _import(ctx: JobContext) -> dict:
    try:
        report = candle_import_run(candle_set=ctx.job.target, params=ctx.params, progress=ctx.progress)
    except CandleImportError as exc:
        raise JobFailed(f"{exc} (the months before it are stored; a retry resumes there)") from None
    ctx.log(
        f"imported {len(report['months_imported'])} months ({report['candles_imported']} candles), "
        f"skipped {len(report['months_skipped'])}; store: {report['candles_total']} candles, "
        f"{report['gaps']['count']} gaps, {len(report['flags'])} flagged candles"
    )
    for conversion in report["unit_conversions"]:
        ctx.log(f"{conversion['file']}: timestamps in {conversion['unit']}, converted to ms")
    report["gaps"]["gaps"] = report["gaps"]["gaps"][:200]
    report["flags"] = report["flags"][:200]
    return report


@job_handler("epochs.create", label="Create an epoch", max_attempts=2)
def create_epoch(ctx: JobContext) -> dict:
    epoch = Epoch.objects.select_related("candlestick_set").get(pk=ctx.params["epoch_id"])
    try:
        return epoch_build(epoch=epoch, progress=ctx.progress)
    except ApplicationError as exc:
        raise JobFailed(exc.message) from None
