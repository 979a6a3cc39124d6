"""Job handlers of the prediction-models app."""

from __future__ import annotations

from django.conf import settings

from cluster.jobs import JobCancelled, JobContext, job_handler
from cluster.jobs.parent import ParentJob
from cluster.jobs.process import run_child, run_children
from cluster.services.remote_jobs import RemoteRun
from prediction_models.engine.backtest import SearchCancelled
from prediction_models.models import ConfigChunk
from prediction_models.services.build import models_build
from prediction_models.services.forward_tests import forward_test_run
from prediction_models.services.search import (
    chunk_run,
    chunk_run_on_server,
    null_baseline_run,
    search_assets_run,
    search_find_step,
)


def _search(ctx: JobContext):
    return ctx.job.target


@job_handler("prediction_models.initialize", label="Initialise prediction models (assets)", max_attempts=2)
def initialize(ctx: JobContext) -> dict:
    return search_assets_run(
        search=_search(ctx),
        log=ctx.log,
        predict_features=lambda argvs: run_children(ctx, argvs, cwd=str(settings.BASE_DIR)),
    )


@job_handler("prediction_models.find", label="Find profitable configs", max_attempts=3)
def find(ctx: JobContext):
    return search_find_step(search=_search(ctx), parent=ParentJob.of(ctx))


@job_handler("prediction_models.search_chunk", label="Search a chunk of configs", max_attempts=3)
def search_chunk(ctx: JobContext) -> dict:
    chunk = ConfigChunk.objects.select_related("search__epoch").get(pk=ctx.params["chunk_id"])
    if ctx.job.server_id:
        return chunk_run_on_server(RemoteRun.of(ctx), chunk=chunk)
    try:
        return chunk_run(chunk=chunk, progress=ctx.progress, should_stop=lambda: ctx.cancel_seen)
    except SearchCancelled:
        raise JobCancelled("cancelled on request") from None


@job_handler("prediction_models.null_baseline", label="Null baseline: search on day-permuted features", max_attempts=2)
def null_baseline(ctx: JobContext) -> dict:
    try:
        return null_baseline_run(
            search=_search(ctx),
            seed=int(ctx.params["seed"]),
            progress=ctx.progress,
            should_stop=lambda: ctx.cancel_seen,
        )
    except SearchCancelled:
        raise JobCancelled("cancelled on request") from None


@job_handler("prediction_models.build", label="Build prediction models", max_attempts=2)
def build(ctx: JobContext) -> dict:
    models = models_build(search=_search(ctx), limit=int(ctx.params["limit"]), progress=ctx.progress)
    return {"models": [m.id for m in models]}


@job_handler("prediction_models.forward_test", label="Forward test a prediction model", max_attempts=2)
def forward_test(ctx: JobContext) -> dict:
    return forward_test_run(
        forward_test=ctx.job.target, log=ctx.log, forecast=lambda argv: run_child(ctx, argv, cwd=str(settings.BASE_DIR))
    )
