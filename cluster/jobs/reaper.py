"""One round of the reaper: jobs whose worker died, and queued jobs whose message was lost.

Each worker runs a round every ``JOB_REAPER_SECONDS`` (cluster.jobs.worker); rounds on several
workers at once are harmless, every write is conditional on the job's claim token.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from cluster.choices import JobStatus
from cluster.jobs.delivery import stranded_jobs
from cluster.jobs.runner import children_finished
from cluster.models import Job
from cluster.services.jobs import job_requeue, job_resend

logger = logging.getLogger("epoch_builder.jobs")


def reap_stale_jobs() -> dict:
    cutoff = timezone.now() - timedelta(seconds=settings.JOB_STALE_SECONDS)
    stale = Job.objects.filter(status=JobStatus.RUNNING, waiting=False).filter(
        Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True)
    )
    requeued, failed, resent = [], [], []
    for job in stale:
        if job_requeue(
            job=job, reason=f"heartbeat older than {settings.JOB_STALE_SECONDS}s: worker {job.worker or '?'} lost"
        ):
            (requeued if job.attempts < job.max_attempts else failed).append(job.pk)
    # Queued jobs (a waiting parent's children too) that no live worker holds a message for.
    for job in stranded_jobs():
        where = f"taken by cluster {job.message_holder}, which is gone" if job.message_holder else "not in the broker"
        if job_resend(job=job, reason=f"its message was lost ({where}); sent again"):
            resent.append(job.pk)
    # A waiting parent whose last child ended while nobody listened.
    for parent_id in Job.objects.filter(status=JobStatus.RUNNING, waiting=True).values_list("pk", flat=True):
        children_finished(parent_id)
    if requeued or failed or resent:
        logger.warning("reaper: re-queued %s, failed %s, sent again %s", requeued, failed, resent)
    return {"requeued": requeued, "failed": failed, "resent": resent}
