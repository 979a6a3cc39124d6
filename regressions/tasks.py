"""Job handlers of the regressions app."""

from __future__ import annotations

from django.conf import settings

from cluster.jobs import JobContext, JobFailed, job_handler
from cluster.jobs.parent import ParentJob
from cluster.jobs.process import run_child
from cluster.services.remote_jobs import RemoteRun, ServerLostError
from regressions.models import Regression, TrainingBatch
from regressions.services import store as artifacts
from regressions.services import training
from regressions.services.grid import configs_generate
from regressions.services.remote import unit_test_check as run_check


@job_handler("regressions.generate_configs", label="Generate regression training configs", max_attempts=2)
def generate_configs(ctx: JobContext) -> dict:
    return configs_generate(
        epoch=ctx.job.target,
        profile=ctx.params["profile"],
        log=ctx.log,
        check_architectures=lambda argv: run_child(ctx, argv, cwd=str(settings.BASE_DIR)),
    )


@job_handler("regressions.train_batch", label="Train a regression batch", max_attempts=3)
def train_batch(ctx: JobContext):
    batch = TrainingBatch.objects.get(pk=ctx.params["batch_id"])
    return training.batch_train_step(batch=batch, parent=ParentJob.of(ctx))


@job_handler("regressions.train", label="Train a regression", max_attempts=3)
def train(ctx: JobContext) -> dict:
    regression = Regression.objects.select_related("config__batch").get(pk=ctx.params["regression_id"])
    # Scale-out hook: with CENTRAL_URL set, inputs come from the central epoch store.
    remote_store = artifacts.remote_store_enabled()
    if remote_store:
        ctx.log(f"central store: {artifacts.regression_prepare(regression=regression)}")
    if training.needs_training(regression=regression):
        training.regression_mark_training(regression=regression)
        try:
            if ctx.job.server_id:
                training.train_on_server(RemoteRun.of(ctx), regression=regression)
            else:
                run_child(
                    ctx,
                    training.train_argv(regression=regression, out_dir=training.training_output(regression=regression)),
                    cwd=str(settings.BASE_DIR),
                )
        except ServerLostError:
            raise  # the job was queued again and trains on another server: not a failure
        except JobFailed as exc:
            training.regression_mark_failed(regression=regression, error=str(exc))
            raise
    # A retraining's complete files replace the old ones only now (repeatable after a crash).
    training.retrained_swap_in(regression=regression)
    stored = {}
    if remote_store:  # scale-out hook: recorded as trained only once the central store holds it
        stored = artifacts.regression_upload(regression=regression)
    regression = training.regression_ingest(regression=regression)
    return {
        "regression": regression.config_id,
        "accuracy": regression.accuracy,
        "test_loss": regression.test_loss,
        "epochs": regression.epochs_trained,
        **({"artifacts": stored} if remote_store else {}),
    }


@job_handler("regressions.unit_test_check", label="Train the UNIT_TEST regression on a server", max_attempts=2)
def unit_test_check(ctx: JobContext) -> dict:
    """The server check registered below: see `regressions.services.remote`."""
    return run_check(RemoteRun.of(ctx), server=ctx.job.target, epoch_id=ctx.params.get("epoch") or None)
