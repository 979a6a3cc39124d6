"""Job handlers of the epochs app: thin wrappers around services."""

from __future__ import annotations

from cluster.jobs import JobContext, job_handler
from epochs.models import Epoch
from epochs.services.candles import candle_import_job
from epochs.services.epochs import epoch_build


@job_handler("epochs.import_candles", label="Import candlesticks", max_attempts=3)
def import_candles(ctx: JobContext) -> dict:
    return _import(ctx)


@job_handler("epochs.import_bundle", label="Import a candlestick bundle", max_attempts=1)
def import_bundle(ctx: JobContext) -> dict:
    return _import(ctx)


def _import(ctx: JobContext) -> dict:
    return candle_import_job(candle_set=ctx.job.target, params=ctx.params, progress=ctx.progress, log=ctx.log)


@job_handler("epochs.create", label="Create an epoch", max_attempts=2)
def create_epoch(ctx: JobContext) -> dict:
    epoch = Epoch.objects.select_related("candlestick_set").get(pk=ctx.params["epoch_id"])
    return epoch_build(epoch=epoch, progress=ctx.progress)
