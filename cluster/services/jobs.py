"""Every write to a job: create and enqueue, fan out, re-queue, cancel, retry."""
from __future__ import annotations

import uuid

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from cluster.choices import ACTIVE_STATUSES, TERMINAL_STATUSES, JobStatus
from cluster.jobs.registry import get_kind
from cluster.models import Job
from epoca_builder.errors import ApplicationError


def _send(job_id: int, token: str, kind: str) -> None:
    from django_q.tasks import async_task

    async_task("cluster.jobs.runner.execute", job_id, token, task_name=f"{kind}#{job_id}", group=kind)


def _enqueue_on_commit(job: Job) -> None:
    job_id, token, kind = job.pk, str(job.claim_token), job.kind
    transaction.on_commit(lambda: _send(job_id, token, kind))


@transaction.atomic
def job_enqueue(
    *,
    kind: str,
    target=None,
    params: dict | None = None,
    user=None,
    server=None,
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
        key = spec["dedup_key"]
        child = existing.get(key)
        if child is None:
            child = job_enqueue(
                kind=spec["kind"],
                params=spec.get("params", {}),
                target=spec.get("target"),
                user=parent.created_by,
                server=spec.get("server", parent.server),
                parent=parent,
                dedup_key=key,
            )
        elif child.status in (JobStatus.FAILED, JobStatus.CANCELLED) and spec.get("retry_failed"):
            job_retry(job=child)
        children.append(child)
    Job.objects.filter(pk=parent.pk).update(progress_total=sum(c.progress_total for c in children))
    return children


def job_requeue(*, job: Job, reason: str, count_attempt: bool = True) -> bool:
    """Queue a running job again (worker lost, or a parent whose children ended).

    Fails it instead once it has used its attempts. Returns False if the job changed meanwhile.
    """
    token = uuid.uuid4()
    stamp = timezone.now().strftime("%Y-%m-%d %H:%M:%S")
    note = f"\n{stamp} {reason}"
    running = Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING, claim_token=job.claim_token)
    if count_attempt and job.attempts >= job.max_attempts:
        return bool(
            running.update(
                status=JobStatus.FAILED,
                finished=timezone.now(),
                error=f"Gave up after {job.attempts} attempts: {reason}.",
                log_tail=job.log_tail + note,
            )
        )
    with transaction.atomic():
        updated = running.update(status=JobStatus.QUEUED, claim_token=token, waiting=False, log_tail=job.log_tail + note)
        if updated:
            if not count_attempt:
                Job.objects.filter(pk=job.pk).update(attempts=F("attempts") - 1)
            transaction.on_commit(lambda: _send(job.pk, str(token), job.kind))
    return bool(updated)


@transaction.atomic
def job_cancel(*, job: Job, user=None) -> Job:
    """Cancel a queued job at once; ask a running one to stop (it checks at its next beat)."""
    if job.status in TERMINAL_STATUSES:
        raise ApplicationError(f"Job #{job.pk} has already ended ({job.status}).")
    Job.objects.filter(pk=job.pk, status=JobStatus.QUEUED).update(
        status=JobStatus.CANCELLED, finished=timezone.now(), error="Cancelled before it started."
    )
    Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING).update(cancel_requested=True)
    for child in job.children.filter(status__in=ACTIVE_STATUSES):
        job_cancel(job=child, user=user)
    # A waiting parent has no handler running to notice: end it here.
    Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING, waiting=True).update(
        status=JobStatus.CANCELLED, finished=timezone.now(), error="Cancelled on request.", waiting=False
    )
    job.refresh_from_db()
    return job


@transaction.atomic
def job_retry(*, job: Job, user=None) -> Job:
    """Run a failed or cancelled job again; handlers skip the work already done."""
    if job.status not in (JobStatus.FAILED, JobStatus.CANCELLED):
        raise ApplicationError(f"Only failed or cancelled jobs can be retried; job #{job.pk} is {job.status}.")
    if job.dedup_key and Job.objects.filter(kind=job.kind, dedup_key=job.dedup_key, status__in=ACTIVE_STATUSES).exists():
        raise ApplicationError("An equivalent job is already queued or running.")
    job.status = JobStatus.QUEUED
    job.claim_token = uuid.uuid4()
    job.attempts = 0
    job.cancel_requested = False
    job.error = job.traceback = ""
    job.finished = None
    job.save(update_fields=["status", "claim_token", "attempts", "cancel_requested", "error", "traceback", "finished"])
    for child in job.children.filter(status__in=(JobStatus.FAILED, JobStatus.CANCELLED)):
        job_retry(job=child, user=user)
    _enqueue_on_commit(job)
    return job
