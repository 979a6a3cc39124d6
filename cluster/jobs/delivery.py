"""Which queued jobs still have a message a worker will take, and which were stranded.

The Job table is the truth; the broker only wakes workers. A queued job is *stranded* when the
broker holds no deliverable message for it: none waiting in the queue under its current claim
token, and none held by a django-q2 cluster that is still alive (a cluster takes messages ahead
of its workers; one killed with them keeps them locked, in the ORM broker for days). The
reaper sends those again, and only those, so that thousands of children queued on purpose
cause no flood.
"""

from __future__ import annotations

import logging
import os
import socket
from datetime import timedelta

from django.conf import settings
from django.db import close_old_connections
from django.db.models import Q
from django.utils import timezone
from django_q.brokers import get_broker
from django_q.models import OrmQ
from django_q.signing import BadSignature, SignedPackage
from django_q.status import Stat

from cluster.choices import JobStatus
from cluster.models import Job

logger = logging.getLogger("epoch_builder.jobs")

RUNNER = "cluster.jobs.runner.execute"


def holder_identity() -> str:
    """The cluster taking messages: called in its pusher process, a child of the sentinel."""
    return f"{socket.gethostname()}:{os.getppid()}"


def _job_message(payload) -> tuple[int, str] | None:
    """(job id, claim token) of one broker message of ours, or None."""
    try:
        task = SignedPackage.loads(payload)
    except (BadSignature, TypeError, ValueError):
        return None
    if task.get("func") != RUNNER or len(task.get("args") or ()) < 2:
        return None
    job_id, token = task["args"][:2]
    return int(job_id), str(token)


def record_taken(messages) -> None:
    """Note which cluster took each job message (``(ack id, payload)`` pairs from a broker)."""
    try:
        close_old_connections()
        holder = holder_identity()
        for _ack, payload in messages:
            key = _job_message(payload)
            if key:
                Job.objects.filter(pk=key[0], claim_token=key[1], status=JobStatus.QUEUED).update(message_holder=holder)
    except Exception:  # the messages must reach the workers anyway; the reaper covers the gap
        logger.exception("could not note the cluster that took %s message(s)", len(messages))


def waiting_messages() -> dict[tuple[int, str], object]:
    """Messages in the broker's queue that no cluster has taken yet: (job id, token) -> ack id."""
    broker = get_broker()
    found = {}
    if hasattr(broker, "connection") and hasattr(broker.connection, "lrange"):  # Redis: a list of payloads
        for payload in broker.connection.lrange(broker.list_key, 0, -1):
            key = _job_message(payload)
            if key:
                found[key] = None
        return found

    for pk, payload in OrmQ.objects.filter(key=broker.list_key, lock__lte=timezone.now()).values_list("pk", "payload"):
        key = _job_message(payload)
        if key:
            found[key] = pk
    return found


def live_holders() -> set[str] | None:
    """host:sentinel pid of every cluster that reported in the last seconds; None if unknown."""
    try:
        return {f"{s.host}:{s.sentinel}" for s in Stat.get_all()}
    except Exception:  # the statistics cache is unreachable: nothing is known to be dead
        logger.exception("cannot read the worker statistics")
        return None


def stranded_jobs(queryset=None) -> list:
    """Queued jobs (a waiting parent's children included) that no worker will ever be woken for."""
    grace = timezone.now() - timedelta(seconds=settings.JOB_STALE_SECONDS)
    # The queue first: a message taken meanwhile then shows its holder on the job.
    waiting = waiting_messages()
    # Jobs queued before delivery was tracked have no queued_at: old enough.
    candidates = list(
        (queryset if queryset is not None else Job.objects)
        .filter(status=JobStatus.QUEUED)
        .filter(Q(queued_at__lt=grace) | Q(queued_at__isnull=True))
        .only("pk", "claim_token", "message_holder", "kind", "log_tail")
    )
    holders = None
    stranded = []
    for job in candidates:
        if (job.pk, str(job.claim_token)) in waiting:
            continue
        if job.message_holder:
            if holders is None:
                holders = live_holders()
            if holders is None or job.message_holder in holders:
                continue
        stranded.append(job)
    return stranded


def job_is_stranded(job) -> bool:
    return bool(stranded_jobs(Job.objects.filter(pk=job.pk)))
