"""Job handlers of the regressions app."""

from __future__ import annotations

from django.conf import settings

from cluster.jobs import JobContext, job_handler
from cluster.jobs.parent import ParentJob
from cluster.jobs.process import run_children
from cluster.services.remote_jobs import RemoteRun
from regressions.models import Regression, TrainingBatch
from regressions.services import training, training_server
from regressions.services.grid import configs_generate
from regressions.services.remote import unit_test_check as run_check


@job_handler("regressions.generate_configs", label="Generate regression training configs", max_attempts=2)
def generate_configs(ctx: JobContext) -> dict:
    return configs_generate(
        epoch=ctx.job.target,
        profile=ctx.params["profile"],
        log=ctx.log,
        check_architectures=lambda argvs: run_children(ctx, argvs, cwd=str(settings.BASE_DIR)),
    )


@job_handler("regressions.train_batch", label="Train a regression batch", max_attempts=3)
def train_batch(ctx: JobContext):
    batch = TrainingBatch.objects.get(pk=ctx.params["batch_id"])
    return training.batch_train_step(batch=batch, parent=ParentJob.of(ctx))


@job_handler("regressions.train", label="Train a regression", max_attempts=3)
def train(ctx: JobContext) -> dict:
    regression = Regression.objects.select_related("config__batch").get(pk=ctx.params["regression_id"])
    return training.regression_train_run(
        regression=regression,
        train_here=lambda argv: training_server.train_here(ctx, argv),
        remote=RemoteRun.of(ctx) if ctx.job.server_id else None,
        log=ctx.log,
    )


@job_handler("regressions.unit_test_check", label="Train the UNIT_TEST regression on a server", max_attempts=2)
def unit_test_check(ctx: JobContext) -> dict:
    """The server check registered below: see `regressions.services.remote`."""
    return run_check(RemoteRun.of(ctx), server=ctx.job.target, epoch_id=ctx.params.get("epoch") or None)
