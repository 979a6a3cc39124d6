"""The django-q2 task that runs one attempt of a job: claim, run the handler, terminate."""

from __future__ import annotations

import logging
import os
import socket

from django.db import connection, transaction
from django.db.models import DateTimeField, F, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from cluster.choices import TERMINAL_STATUSES, JobStatus
from cluster.jobs.context import WAIT_FOR_CHILDREN, JobCancelled, JobContext, _roll_up_parent
from cluster.jobs.failures import classify_failure
from cluster.jobs.registry import get_kind
from cluster.models import Job

# The module, not its names: cluster.services.jobs imports this package back.
from cluster.services import jobs as job_services

logger = logging.getLogger("epoch_builder.jobs")


def execute(job_id: int, token: str, observer=None) -> dict:
    """Entry point of every queued message. Safe to deliver twice: only one claim succeeds.

    ``observer`` (command-line runs) sees every progress and log call as it happens.
    """
    now = timezone.now()
    claimed = Job.claim(
        job_id,
        token,
        attempts=F("attempts") + 1,
        # A parent woken by its children keeps its first start (job_requeue's keep_start); any
        # other attempt was queued with none, and starts now.
        started=Coalesce(F("started"), Value(now, output_field=DateTimeField())),
        heartbeat_at=now,
        finished=None,
        waiting=False,
        worker=f"{socket.gethostname()}:{os.getpid()}",
        process_group=os.getpgrp(),
    )
    if not claimed:
        logger.info("job %s: message with token %s has nothing to claim", job_id, token)
        return {"claimed": False}

    job = Job.objects.get(pk=job_id)
    ctx = JobContext(job, token, observer=observer)
    ctx.log(f"attempt {job.attempts} of {job.max_attempts} started on {job.worker}")
    # Inside a caller's transaction (a test), a second connection could not write: the calling
    # thread's own progress calls keep the heartbeat then. Workers never run inside one.
    if not connection.in_atomic_block:
        ctx.start_heartbeat()
    try:
        try:
            outcome = get_kind(job.kind).handler(ctx)
            ctx.check_cancelled()
        finally:
            ctx.stop_heartbeat()
    except JobCancelled:
        ctx.log("cancelled")
        _terminate(ctx, JobStatus.CANCELLED, error="Cancelled on request.")
    except Exception as exc:  # anything unexpected keeps its traceback for the user
        _fail(ctx, exc)
    else:
        if outcome is WAIT_FOR_CHILDREN:
            _wait(ctx)
        else:
            _terminate(ctx, JobStatus.SUCCEEDED, result=outcome or {})
    return {"claimed": True}


def _fail(ctx: JobContext, exc: Exception) -> None:
    """A permanent failure ends the job now; a retryable one queues it again while attempts remain."""
    failure = classify_failure(exc)
    ctx.log(failure.traceback or f"failed: {failure.message}")
    job = ctx.job
    if failure.permanent:
        _terminate(ctx, JobStatus.FAILED, error=failure.message, trace=failure.traceback, permanent=True)
    elif job.attempts < job.max_attempts:
        ctx.flush()
        job.refresh_from_db()
        job_services.job_requeue(
            job=job, reason=f"attempt {job.attempts} of {job.max_attempts} failed: {failure.message}; queued again"
        )
    else:
        _terminate(
            ctx,
            JobStatus.FAILED,
            error=f"Gave up after {job.attempts} attempts: {failure.message}",
            trace=failure.traceback,
        )


def _wait(ctx: JobContext) -> None:
    """The parent has fanned out: it stays running without a heartbeat until its children end."""
    ctx.flush()
    Job.objects.filter(pk=ctx.job.pk, claim_token=ctx.token, status=JobStatus.RUNNING).update(waiting=True)
    # The children may all have finished already (a re-run after a crash).
    children_finished(ctx.job.pk)


def _terminate(
    ctx: JobContext,
    status: str,
    *,
    result: dict | None = None,
    error: str = "",
    trace: str = "",
    permanent: bool = False,
) -> None:
    ctx.flush()
    job = ctx.job
    if status == JobStatus.FAILED:
        error = _with_failed_children(job, error)
        # A parent that failed for its children can be retried by hand if one of them can.
        if job.children.filter(status__in=(JobStatus.FAILED, JobStatus.CANCELLED), permanent_failure=False).exists():
            permanent = False
    fields = {
        "finished": timezone.now(),
        "error": error,
        "traceback": trace,
        "waiting": False,
        "permanent_failure": permanent,
    }
    if result is not None:
        fields["result"] = result
    if status == JobStatus.SUCCEEDED:
        fields["progress_done"] = max(job.progress_done, job.progress_total)
        fields["progress_total"] = max(job.progress_total, 1) if not job.progress_total else job.progress_total
        if not job.progress_total:
            fields["progress_done"] = fields["progress_total"] = 1
    with transaction.atomic():
        updated = job.end(status, token=ctx.token, **fields)
    if not updated:
        logger.warning("job %s changed hands before it could end as %s", job.pk, status)
        return
    if job.parent_id:
        parent_notify(job.parent_id)


def parent_notify(parent_id: int) -> None:
    """A child ended: update the parent's progress and wake it if it was the last one."""
    _roll_up_parent(parent_id)
    children_finished(parent_id)


def _with_failed_children(job, error: str, limit: int = 20) -> str:
    """A failed parent says which of its children failed and why."""
    failed = list(
        job.children.filter(status__in=(JobStatus.FAILED, JobStatus.CANCELLED))
        .order_by("id")
        .values_list("pk", "kind", "target_label", "status", "error")[: limit + 1]
    )
    if not failed:
        return error
    lines = [
        f"#{pk} {label or kind}: {status}: {(reason or '').splitlines()[0] if reason else ''}"
        for pk, kind, label, status, reason in failed[:limit]
    ]
    if len(failed) > limit:
        lines.append(
            f"... and {job.children.filter(status__in=(JobStatus.FAILED, JobStatus.CANCELLED)).count() - limit} more"
        )
    return f"{error}\nChildren that did not succeed:\n" + "\n".join(lines)


def children_finished(parent_id: int) -> None:
    """When every child of a waiting parent has ended, queue the parent again to finish up."""
    parent = Job.objects.filter(pk=parent_id, status=JobStatus.RUNNING, waiting=True).first()
    if parent is None:
        return
    if parent.children.exclude(status__in=TERMINAL_STATUSES).exists():
        return
    job_services.job_requeue(job=parent, reason="all children have ended", count_attempt=False, keep_start=True)
