"""Find jobs whose worker died (stale heartbeat) and queue them again, or fail them."""
from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from cluster.choices import JobStatus

logger = logging.getLogger("epoch_builder.jobs")


def reap_stale_jobs() -> dict:
    from cluster.jobs.runner import children_finished
    from cluster.models import Job
    from cluster.services.jobs import job_requeue

    cutoff = timezone.now() - timedelta(seconds=settings.JOB_STALE_SECONDS)
    stale = Job.objects.filter(status=JobStatus.RUNNING, waiting=False).filter(Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True))
    requeued, failed = [], []
    for job in stale:
        if job_requeue(job=job, reason=f"heartbeat older than {settings.JOB_STALE_SECONDS}s: worker {job.worker or '?'} lost"):
            (requeued if job.attempts < job.max_attempts else failed).append(job.pk)
    # A waiting parent whose last child ended while nobody listened.
    for parent_id in Job.objects.filter(status=JobStatus.RUNNING, waiting=True).values_list("pk", flat=True):
        children_finished(parent_id)
    if requeued or failed:
        logger.warning("reaper: re-queued %s, failed %s", requeued, failed)
    return {"requeued": requeued, "failed": failed}
