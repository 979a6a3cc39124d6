"""Training: queue batches and single regressions, and record what the engine produced."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from cluster.choices import ACTIVE_STATUSES, JobStatus
from cluster.jobs import JobFailed
from cluster.models import Job
from cluster.selectors import jobs_busy_on
from cluster.services.jobs import job_enqueue
from cluster.services.remote_jobs import PYTHON, RemoteRun, ServerLostError, run_remote
from core.errors import ApplicationError, FrozenEpochError
from core.files import read_json, sha256_file, write_json
from epochs.engine.layout import H5_FILE, TRAINING_EXCLUDES, EpochLayout, batched_certificate_file
from epochs.services.pages import epoch_disk_usage_record
from epochs.services.paths import epoch_dir, epoch_layout, shown_path
from regressions.choices import RegressionStatus
from regressions.engine.ebe import regression_evaluation
from regressions.engine.pipeline import (
    CERTIFICATE,
    is_complete,
    is_trained,
    regression_dir,
    retraining_dir,
    swap_in,
)
from regressions.models import Regression, TrainingBatch
from regressions.services import store as artifacts

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from cluster.jobs.parent import ParentJob
    from cluster.models import Server
    from epochs.models import Epoch


def batch_train_enqueue(
    *, batch: TrainingBatch, user: User | None = None, server: Server | None = None, inline: bool = False
) -> Job:
    """One parent job for the batch; it fans out into one child job per untrained regression."""
    return job_enqueue(
        kind="regressions.train_batch",
        target=batch,
        params={"batch_id": batch.pk},
        user=user,
        server=server,
        dedup_key=f"batch:{batch.pk}",
        inline=inline,
    )


def regression_train_enqueue(
    *,
    regression: Regression,
    user: User | None = None,
    server: Server | None = None,
    retrain: bool = False,
    inline: bool = False,
) -> Job:
    if retrain:
        regression = regression_reset(regression=regression)
    return job_enqueue(
        kind="regressions.train",
        target=regression.config,
        params={"regression_id": regression.config_id},
        user=user,
        server=server,
        dedup_key=train_dedup_key(regression),
        inline=inline,
    )


def train_dedup_key(regression: Regression) -> str:
    """One active training per regression and generation (a retrain asks for the next one)."""
    generation = regression.generation
    return f"train:{regression.config_id}" + (f":g{generation}" if generation else "")


@transaction.atomic
def regression_reset(*, regression: Regression) -> Regression:
    """Ask for the regression's next generation. Nothing is deleted: the files in place stay
    (and stay recorded) until the new training's files are complete and swapped in.

    An exported epoch is frozen: what Epoca installed must not change.
    """
    regression = Regression.objects.select_for_update().select_related("epoch").get(pk=regression.pk)
    if regression.epoch.is_frozen:
        raise FrozenEpochError(
            f"Epoch {regression.epoch_id} is exported: {regression.config_id} cannot be retrained until an "
            "administrator withdraws the export."
        )
    Regression.objects.filter(pk=regression.pk).update(generation=F("generation") + 1)
    regression.refresh_from_db()
    return regression


def training_output(*, regression: Regression) -> Path | None:
    """Where this training writes: None for a first training (the regression's folder), else the
    retraining folder of its generation, swapped in once complete (see :func:`retrained_swap_in`)."""
    if regression.generation == 0:
        return None
    return retraining_dir(epoch_dir(regression.epoch_id), regression.config_id, regression.generation)


def needs_training(*, regression: Regression) -> bool:
    """Whether the files in place are not (yet) those of the generation asked for."""
    folder = epoch_dir(regression.epoch_id)
    if regression.generation == 0:
        return not is_trained(folder, regression.config_id)
    staged = retraining_dir(folder, regression.config_id, regression.generation)
    return not (staged.exists() and is_complete(staged)) and regression.trained_generation != regression.generation


def retrained_swap_in(*, regression: Regression) -> None:
    staged = training_output(regression=regression)
    if staged is not None:
        swap_in(epoch_dir(regression.epoch_id), regression.config_id, staged)


def train_children_specs(*, batch: TrainingBatch) -> list[dict]:
    # The config is the child's target, as for a single retrain: the regression's page lists its jobs.
    return [
        {
            "kind": "regressions.train",
            "params": {"regression_id": config.pk},
            "target": config,
            "dedup_key": train_dedup_key(config.regression),
            "retry_failed": True,
        }
        for config in batch.configs.select_related("regression").order_by("position")
    ]


def trainings_sharing(*, server: Server | None, capacity: int) -> int:
    """How many jobs share the host with a training starting now, which sizes its threads.

    ``capacity``: the jobs the host runs at once (a server's ``max_jobs``; locally the django-q2
    workers). While jobs wait for a slot every slot will be busy, so the training gets its share
    of the cores; otherwise the jobs running now (this one included) share them, so a training
    alone uses every core. A job that starts later on an idle slot then gets its own share beside
    it: the cores are oversubscribed by at most one share until the wide training ends.
    With ``TRAINING_THREADS`` set the threads are fixed: the capacity, whatever runs.
    """
    if settings.TRAINING_THREADS:
        return capacity
    running, queued = jobs_busy_on(server)
    return capacity if queued else max(1, min(capacity, running))


def train_argv(
    *,
    regression: Regression,
    python: str = sys.executable,
    epoch_folder: str | None = None,
    out_dir: Path | None = None,
    concurrent: int | None = None,
) -> list[str]:
    """The command that trains one regression (locally, or on a server with its own paths).

    ``concurrent``: the jobs sharing its host (see :func:`trainings_sharing`; default: the local
    django-q2 workers), which sizes its TensorFlow threads unless ``TRAINING_THREADS`` is set.
    """
    folder = epoch_folder or str(epoch_dir(regression.epoch_id))
    config_file = f"{folder}/{regression.config.batch.config_file}"
    argv = [
        python,
        "manage.py",
        "train_regression",
        "--epoch-dir",
        folder,
        "--config",
        config_file,
        "--id",
        regression.config_id,
        "--threads",
        str(settings.TRAINING_THREADS),
        "--concurrent",
        str(concurrent or settings.Q_CLUSTER["workers"]),
        *([] if settings.TRAINING_DETERMINISM else ["--no-determinism"]),
        *(["--max-batches", str(settings.TRAINING_MAX_BATCHES)] if settings.TRAINING_MAX_BATCHES else []),
    ]
    return [*argv, "--out-dir", str(out_dir)] if out_dir is not None else argv


def regression_mark_training(*, regression: Regression) -> bool:
    return regression.mark_training()


def regression_mark_failed(*, regression: Regression, error: str) -> bool:
    return regression.mark_failed(error=error)


def regression_ingest(*, regression: Regression) -> Regression:
    """Record the summary of a trained regression's certificate (idempotent)."""
    folder = regression_dir(epoch_dir(regression.epoch_id), regression.config_id)
    if not is_trained(epoch_dir(regression.epoch_id), regression.config_id):
        raise ApplicationError(f"{regression.config_id} has no complete set of files in {shown_path(folder)}.")
    cert = read_json(folder / CERTIFICATE)
    evaluation, discovery = cert["test_ds_evaluation"], cert["discovery"]
    ebe = regression_evaluation(cert)
    regression.mark_trained(
        test_mae=evaluation["mean_absolute_error"],
        test_mse=evaluation["mean_squared_error"],
        test_loss=evaluation[cert["loss"]],
        accuracy=discovery["accuracy"],
        increase_accuracy=discovery["increase_accuracy"],
        decrease_accuracy=discovery["decrease_accuracy"],
        points=discovery["points"],
        increase_num=discovery["increase_num"],
        decrease_num=discovery["decrease_num"],
        neutral_num=discovery["neutral_num"],
        best_epoch=cert["best_epoch"],
        epochs_trained=len(cert["training_history"]["loss"]),
        training_seconds=cert["training_seconds"],
        ebe_points=ebe["points"],
        ebe_state=ebe["state"],
        certificate_sha256=sha256_file(folder / CERTIFICATE),
        h5_sha256=sha256_file(folder / H5_FILE),
        trained_at=timezone.now(),
        trained_generation=regression.generation,
    )
    epoch_disk_usage_record(epoch=regression.epoch_id)
    regression.refresh_from_db()
    return regression


def batch_certificate_write(*, batch: TrainingBatch) -> str:
    """The batched certificate: every trained certificate of the batch in one JSON list."""
    if artifacts.remote_store_enabled():  # scale-out hook: the central store writes it from its copies
        return artifacts.batch_certificate_request(batch=batch)
    folder = epoch_dir(batch.epoch_id)
    certificates = [
        read_json(regression_dir(folder, config_id) / CERTIFICATE)
        for config_id in batch.configs.order_by("position").values_list("id", flat=True)
        if is_trained(folder, config_id)
    ]
    relative = batched_certificate_file(batch.name)
    write_json(folder / relative, certificates)
    TrainingBatch.objects.filter(pk=batch.pk).update(batched_certificate_file=relative)
    return relative


def batch_train_step(*, batch: TrainingBatch, parent: ParentJob) -> object:
    """One turn of a batch's job: queue its regressions as child jobs and wait for them; once
    all have ended, write the batched certificate (a failed child fails the batch, naming how many)."""
    children = parent.spawn(train_children_specs(batch=batch))
    statuses = parent.child_statuses()
    if any(s in ACTIVE_STATUSES for s in statuses):
        parent.log(f"{len(children)} regressions queued as child jobs")
        return parent.wait
    path = batch_certificate_write(batch=batch)
    failed = statuses.count(JobStatus.FAILED) + statuses.count(JobStatus.CANCELLED)
    if failed:
        raise JobFailed(
            f"{failed} of {len(statuses)} regressions did not train; the batched certificate holds the others ({path})."
        )
    return {"batch": batch.name, "regressions": len(statuses), "batched_certificate": path}


def regression_train_run(
    *,
    regression: Regression,
    train_here: Callable[[list[str]], object],
    remote: RemoteRun | None = None,
    log: Callable[[str], None] = lambda message: None,
) -> dict:
    """The training job: train (on the job's server with ``remote``, else in the child process
    ``train_here`` runs), swap a retraining's files in, record the regression as trained.

    A failed training marks the regression failed; a lost server does not (the job was queued
    again and trains on another server).
    """
    # Scale-out hook: with CENTRAL_URL set, inputs come from the central epoch store.
    remote_store = artifacts.remote_store_enabled()
    if remote_store:
        log(f"central store: {artifacts.regression_prepare(regression=regression)}")
    if needs_training(regression=regression):
        regression_mark_training(regression=regression)
        try:
            if remote is not None:
                train_on_server(remote, regression=regression)
            else:
                concurrent = trainings_sharing(server=None, capacity=settings.Q_CLUSTER["workers"])
                out_dir = training_output(regression=regression)
                train_here(train_argv(regression=regression, out_dir=out_dir, concurrent=concurrent))
        except ServerLostError:
            raise
        except JobFailed as exc:
            regression_mark_failed(regression=regression, error=str(exc))
            raise
    # A retraining's complete files replace the old ones only now (repeatable after a crash).
    retrained_swap_in(regression=regression)
    stored = {}
    if remote_store:  # scale-out hook: recorded as trained only once the central store holds it
        stored = artifacts.regression_upload(regression=regression)
    regression = regression_ingest(regression=regression)
    return {
        "regression": regression.config_id,
        "accuracy": regression.accuracy,
        "test_loss": regression.test_loss,
        "epochs": regression.epochs_trained,
        **({"artifacts": stored} if remote_store else {}),
    }


def train_on_server(run: RemoteRun, *, regression: Regression) -> dict:
    """Train on the job's cluster server: push the epoch's inputs, run there, pull the files back."""
    remote = EpochLayout.on_server(regression.epoch_id)
    local = epoch_layout(regression.epoch_id)
    # A copy the server holds from earlier (another incarnation of the epoch, a reset) is not ours.
    argv = [
        *train_argv(
            regression=regression,
            python=PYTHON,
            epoch_folder=f"../{remote.root}",
            concurrent=trainings_sharing(server=run.job.server, capacity=run.job.server.max_jobs)
            if run.job.server
            else None,
        ),
        "--discard-trained",
    ]
    # A retraining comes back beside the files in place, which it replaces once complete.
    local_out = training_output(regression=regression) or local.regression_dir(regression.config_id)
    return run_remote(
        run,
        argv=argv,
        push=[(local.root, str(remote.root), TRAINING_EXCLUDES)],
        pull=[(str(remote.regression_dir(regression.config_id)), local_out)],
        env={"TRAINING_THREADS": str(settings.TRAINING_THREADS)},
    )


def epoch_train_all_enqueue(*, epoch: Epoch, user: User | None = None, server: Server | None = None) -> list[Job]:
    """Queue every batch of the epoch that is not fully trained (the unit test first)."""
    batches = sorted(epoch.batches.all(), key=lambda b: (b.category != "UNIT_TEST", b.category, b.number))
    pending = [b for b in batches if b.configs.exclude(regression__status=RegressionStatus.TRAINED).exists()]
    if not pending:
        raise ApplicationError(f"Every regression of {epoch.id} is trained already.")
    return [batch_train_enqueue(batch=b, user=user, server=server) for b in pending]
