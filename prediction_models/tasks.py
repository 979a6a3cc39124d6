"""Job handlers of the prediction-models app."""
from __future__ import annotations

from django.conf import settings

from cluster.choices import JobStatus
from cluster.jobs import JobCancelled, JobContext, JobFailed, job_handler
from cluster.jobs.process import run_child
from core.errors import ApplicationError
from prediction_models.choices import SearchStatus
from prediction_models.engine.backtest import SearchCancelled
from prediction_models.models import ConfigChunk
from prediction_models.services.build import models_build
from prediction_models.services.forward_tests import (
    forward_test_argv,
    forward_test_fail,
    forward_test_finish,
    forward_test_inputs,
)
from prediction_models.services.search import (
    chunk_run,
    chunk_run_on_server,
    chunk_specs,
    chunks_ensure,
    features_argv,
    search_assets_build,
    search_find_finish,
    search_mark,
)


def _search(ctx: JobContext):
    return ctx.job.target


@job_handler("prediction_models.initialize", label="Initialise prediction models (assets)", max_attempts=2)
def initialize(ctx: JobContext) -> dict:
    search = _search(ctx)
    search_mark(search=search, status=SearchStatus.INITIALISING)
    try:
        ctx.log(f"predicting the features of {len(search.regression_ids)} regressions")
        run_child(ctx, features_argv(search=search), cwd=str(settings.BASE_DIR))
        ctx.log("building labels and the lookback indexer")
        return search_assets_build(search=search)
    except ApplicationError as exc:
        search_mark(search=search, status=SearchStatus.FAILED, error=exc.message)
        raise JobFailed(exc.message) from None
    except JobFailed as exc:
        search_mark(search=search, status=SearchStatus.FAILED, error=str(exc))
        raise
    except JobCancelled:
        search_mark(search=search, status=SearchStatus.NEW)
        raise


@job_handler("prediction_models.find", label="Find profitable configs", max_attempts=3)
def find(ctx: JobContext) -> dict:
    search = _search(ctx)
    chunks_ensure(search=search)
    specs = chunk_specs(search=search)
    if specs:
        ctx.spawn_children(specs)
    if ctx.job.children.filter(status__in=(JobStatus.QUEUED, JobStatus.RUNNING)).exists():
        ctx.log(f"{len(specs)} chunks to search")
        return ctx.wait_for_children()
    try:
        return search_find_finish(search=search)
    except ApplicationError as exc:
        raise JobFailed(exc.message) from None


@job_handler("prediction_models.search_chunk", label="Search a chunk of configs", max_attempts=3)
def search_chunk(ctx: JobContext) -> dict:
    chunk = ConfigChunk.objects.select_related("search__epoch").get(pk=ctx.params["chunk_id"])
    if ctx.job.server_id:
        return chunk_run_on_server(ctx, chunk=chunk)
    try:
        return chunk_run(chunk=chunk, progress=ctx.progress, should_stop=lambda: ctx.cancel_seen)
    except SearchCancelled:
        raise JobCancelled("cancelled on request") from None


@job_handler("prediction_models.build", label="Build prediction models", max_attempts=2)
def build(ctx: JobContext) -> dict:
    try:
        models = models_build(search=_search(ctx), limit=int(ctx.params["limit"]), progress=ctx.progress)
    except ApplicationError as exc:
        raise JobFailed(exc.message) from None
    return {"models": [m.id for m in models]}


@job_handler("prediction_models.forward_test", label="Forward test a prediction model", max_attempts=2)
def forward_test(ctx: JobContext) -> dict:
    row = ctx.job.target
    try:
        ctx.log("computing Epoca's inputs on the range")
        inputs = forward_test_inputs(forward_test=row)
        ctx.log(f"{len(inputs.refused)} decisions, {int(inputs.refused.sum())} that Epoca would refuse")
        run_child(ctx, forward_test_argv(forward_test=row), cwd=str(settings.BASE_DIR))
        return forward_test_finish(forward_test=row, inputs=inputs)
    except ApplicationError as exc:
        forward_test_fail(forward_test=row, error=exc.message)
        raise JobFailed(exc.message) from None
    except (JobFailed, JobCancelled) as exc:
        forward_test_fail(forward_test=row, error=str(exc))
        raise
