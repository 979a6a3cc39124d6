"""Every write to a job: create and enqueue, fan out, re-queue, cancel, retry."""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django_q.tasks import async_task

from cluster.choices import ACTIVE_STATUSES, TERMINAL_STATUSES, JobStatus
from cluster.jobs.context import log_stamp
from cluster.jobs.delivery import job_is_stranded
from cluster.jobs.registry import get_kind
from cluster.jobs.runner import parent_notify
from cluster.models import Job
from core.errors import ApplicationError

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from django.db import models

    from cluster.models import Server


def _send(job_id: int, token: str, kind: str) -> None:
    async_task("cluster.jobs.runner.execute", job_id, token, task_name=f"{kind}#{job_id}", group=kind)


def _enqueue_on_commit(job: Job) -> None:
    job_id, token, kind = job.pk, str(job.claim_token), job.kind
    transaction.on_commit(lambda: _send(job_id, token, kind))


def job_dedup_key(key: str, params: dict | None) -> str:
    """The stored de-duplication key: the caller's key and a digest of every parameter, so that
    asking for the same work returns the active job and asking for other work makes a new one."""
    if not key:
        return ""
    digest = hashlib.sha256(json.dumps(params or {}, sort_keys=True, default=str).encode()).hexdigest()[:16]
    return f"{key}@{digest}"


@transaction.atomic
def job_enqueue(
    *,
    kind: str,
    target: models.Model | None = None,
    params: dict | None = None,
    user: User | None = None,
    server: Server | None = None,
    parent: Job | None = None,
    dedup_key: str = "",
    max_attempts: int | None = None,
    inline: bool = False,
) -> Job:
    """Create a job in the caller's transaction and queue it once that commits.

    With a ``dedup_key``, an active job of the same kind and key is returned instead of a
    second one. ``inline`` jobs are not queued: the caller runs them (``cluster.jobs.cli``);
    if the caller dies, the reaper hands them to a worker.
    """
    spec = get_kind(kind)
    dedup_key = job_dedup_key(dedup_key, params)
    if dedup_key:
        existing = Job.objects.filter(kind=kind, dedup_key=dedup_key, status__in=ACTIVE_STATUSES).first()
        if existing:
            return existing
    job = Job(
        kind=kind,
        params=params or {},
        dedup_key=dedup_key,
        created_by=user if getattr(user, "is_authenticated", False) else None,
        server=server,
        parent=parent,
        max_attempts=max_attempts or spec.max_attempts,
        claim_token=uuid.uuid4(),
        queued_at=timezone.now(),
    )
    job.set_target(target)
    job.full_clean(exclude=["target_type", "created_by", "server", "parent"])
    try:
        with transaction.atomic():
            job.save()
    except IntegrityError:
        existing = Job.objects.filter(kind=kind, dedup_key=dedup_key, status__in=ACTIVE_STATUSES).first()
        if existing:
            return existing
        raise
    if not inline:
        _enqueue_on_commit(job)
    return job


@transaction.atomic
def job_children_ensure(*, parent: Job, specs: list[dict]) -> list[Job]:
    """Create the children a parent has not created yet (by ``dedup_key``) and queue them."""
    existing = {c.dedup_key: c for c in parent.children.all()}
    children = []
    for spec in specs:
        child = existing.get(job_dedup_key(spec["dedup_key"], spec.get("params", {})))
        if child is None:
            child = job_enqueue(
                kind=spec["kind"],
                params=spec.get("params", {}),
                target=spec.get("target"),
                user=parent.created_by,
                server=spec.get("server", parent.server),
                parent=parent,
                dedup_key=spec["dedup_key"],
            )
        elif (
            child.status == JobStatus.FAILED
            and spec.get("retry_failed")
            and not child.permanent_failure
            and child.attempts < child.max_attempts
        ):
            # The parent's retry is an attempt like any other: none once they are used up.
            child = job_retry(job=child, by_hand=False)
        children.append(child)
    Job.objects.filter(pk=parent.pk).update(progress_total=sum(c.progress_total for c in children))
    return children


def job_requeue(
    *, job: Job, reason: str, count_attempt: bool = True, keep_start: bool = False, error: str = "", trace: str = ""
) -> bool:
    """Queue a running job again (worker lost, a retryable failure, a parent whose children ended).

    Fails it instead once it has used its attempts, with ``error`` (or the reason) and ``trace``.
    Returns False if the job changed meanwhile.
    """
    token = uuid.uuid4()
    stamp = log_stamp()
    note = f"\n{stamp} {reason}"
    if count_attempt and job.attempts >= job.max_attempts:
        failed = job.end(
            JobStatus.FAILED,
            token=job.claim_token,
            finished=timezone.now(),
            waiting=False,
            error=f"Gave up after {job.attempts} attempts: {error or reason}.",
            traceback=trace,
            log_tail=job.log_tail + note,
        )
        if failed and job.parent_id:
            parent_notify(job.parent_id)
        return failed
    with transaction.atomic():
        # The next attempt starts the clock again, but for a parent woken by its children
        # (``keep_start``): its duration is the whole run's.
        restart = {} if keep_start else {"started": None}
        updated = job.requeue(
            token=token,
            waiting=False,
            log_tail=job.log_tail + note,
            queued_at=timezone.now(),
            message_holder="",
            **restart,
        )
        if updated:
            if not count_attempt:
                Job.objects.filter(pk=job.pk).update(attempts=F("attempts") - 1)
            transaction.on_commit(lambda: _send(job.pk, str(token), job.kind))
    return bool(updated)


def job_resend(*, job: Job, reason: str) -> bool:
    """Send a queued job's message again under a new token (its message was lost with a
    worker); the old message, if it ever arrives, finds nothing to claim. No attempt is used."""
    token = uuid.uuid4()
    stamp = log_stamp()
    with transaction.atomic():
        updated = Job.objects.filter(pk=job.pk, status=JobStatus.QUEUED, claim_token=job.claim_token).update(
            claim_token=token, queued_at=timezone.now(), message_holder="", log_tail=f"{job.log_tail}\n{stamp} {reason}"
        )
        if updated:
            transaction.on_commit(lambda: _send(job.pk, str(token), job.kind))
    return bool(updated)


def job_target_set(*, job: Job, target: models.Model) -> Job:
    """Point a job at what it works on once that exists (the demo's epoch, made by its second stage)."""
    job.set_target(target)
    Job.objects.filter(pk=job.pk).update(
        target_type=job.target_type, target_id=job.target_id, target_label=job.target_label
    )
    return job


@transaction.atomic
def job_adopt(*, job: Job, parent: Job) -> Job:
    """Make a job created by a stage's own service (``inline``, not queued) a child of ``parent``
    and queue it: a pipeline job (the demo) runs its stages as children the workers take.
    A job that runs already (an equivalent one, found by its key) is only attached."""
    if job.parent_id not in (None, parent.pk):
        raise ApplicationError(f"Job #{job.pk} belongs to job #{job.parent_id} already.")
    if job.parent_id == parent.pk and job.status != JobStatus.QUEUED:
        return job
    Job.objects.filter(pk=job.pk).update(parent=parent)
    job.parent = parent
    if job.status == JobStatus.QUEUED:
        # A new token: a message sent earlier, if any, finds nothing to claim.
        job.claim_token = uuid.uuid4()
        job.queued_at = timezone.now()
        Job.objects.filter(pk=job.pk, status=JobStatus.QUEUED).update(
            claim_token=job.claim_token, queued_at=job.queued_at, message_holder=""
        )
        _enqueue_on_commit(job)
    return job


@transaction.atomic
def job_cancel(*, job: Job, user: User | None = None) -> Job:
    """Cancel a queued job at once; ask a running one to stop (it checks at its next beat)."""
    if job.status in TERMINAL_STATUSES:
        raise ApplicationError(f"Job #{job.pk} has already ended ({job.status}).")
    job.cancel_queued(finished=timezone.now(), error="Cancelled before it started.")
    Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING).update(cancel_requested=True)
    for child in job.children.filter(status__in=ACTIVE_STATUSES):
        job_cancel(job=child, user=user)
    # A waiting parent has no handler running to notice: end it here.
    job.cancel_waiting(finished=timezone.now(), error="Cancelled on request.", waiting=False)
    job.refresh_from_db()
    return job


@transaction.atomic
def job_retry(*, job: Job, user: User | None = None, by_hand: bool = True) -> Job:
    """Run a failed or cancelled job again, or send a stranded queued job's message again.

    Attempts are never reset: a retry by hand that finds them used up grants one more, so the
    log reads "attempt 4 of 4"; a permanent failure is not retried (another attempt would fail
    the same way). Handlers skip the work already done.
    """
    job.refresh_from_db()
    if job.status == JobStatus.QUEUED:
        if not job_is_stranded(job):
            raise ApplicationError(f"Job #{job.pk} is queued and its message waits for a worker: nothing to retry.")
        job_resend(job=job, reason="sent again on request: its message was lost")
        job.refresh_from_db()
        return job
    if job.status not in (JobStatus.FAILED, JobStatus.CANCELLED):
        raise ApplicationError(
            f"Only failed, cancelled or stranded queued jobs can be retried; job #{job.pk} is {job.status}."
        )
    if job.permanent_failure:
        raise ApplicationError(f"Job #{job.pk} failed for a reason another attempt cannot change: {job.error}")
    if (
        job.dedup_key
        and Job.objects.filter(kind=job.kind, dedup_key=job.dedup_key, status__in=ACTIVE_STATUSES).exists()
    ):
        raise ApplicationError("An equivalent job is already queued or running.")
    stamp = log_stamp()
    log_tail = job.log_tail
    if job.error:
        log_tail = f"{log_tail}\n{stamp} retried{' by hand' if by_hand else ''} after: {job.error}"[-200_000:]
    queued = job.queue_again(
        claim_token=uuid.uuid4(),
        max_attempts=job.attempts + 1 if by_hand and job.attempts >= job.max_attempts else job.max_attempts,
        cancel_requested=False,
        error="",
        traceback="",
        started=None,  # a retried job is timed afresh
        finished=None,
        log_tail=log_tail,
        queued_at=timezone.now(),
        message_holder="",
    )
    if not queued:  # another request retried it first
        raise ApplicationError(f"Job #{job.pk} changed meanwhile: it is no longer failed or cancelled.")
    if by_hand:
        for child in job.children.filter(status__in=(JobStatus.FAILED, JobStatus.CANCELLED), permanent_failure=False):
            job_retry(job=child, user=user)
    _enqueue_on_commit(job)
    return job
