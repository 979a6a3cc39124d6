"""A django-q2 cluster with the two duties of our workers: reap lost jobs, and stop at once.

``manage.py qcluster`` runs this (cluster/management/commands/qcluster.py). Beside django-q2's
sentinel it runs the reaper every ``JOB_REAPER_SECONDS``. On SIGTERM or SIGINT it stops within
seconds, even in the middle of a days-long training: it freezes its workers, kills their child
processes (TensorFlow) first, then the workers, and queues their jobs again without using an
attempt, so that another worker carries on from the last checkpoint.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
import threading

import psutil
from django.conf import settings
from django.db import close_old_connections
from django_q.cluster import Cluster

from cluster.choices import JobStatus
from cluster.jobs.reaper import reap_stale_jobs
from cluster.models import Job
from cluster.services.jobs import job_requeue

logger = logging.getLogger("epoch_builder.jobs")


def _reap_every(stop: threading.Event) -> None:
    while not stop.wait(settings.JOB_REAPER_SECONDS):
        try:
            close_old_connections()
            reap_stale_jobs()
        except Exception:  # a failed round must not end the loop; the next one tries again
            logger.exception("reaper round failed")


def _descendants() -> list[psutil.Process]:
    try:
        return psutil.Process().children(recursive=True)
    except psutil.Error:
        return []


def _signal_all(processes, sig) -> None:
    for proc in processes:
        try:
            proc.send_signal(sig)
        except psutil.Error:
            pass


def stop_now(known_pids: set[int]) -> list[int]:
    """Kill every process of this cluster, children of the workers first; return the jobs queued again."""
    group = os.getpgrp()
    processes = _descendants()
    known_pids |= {p.pid for p in processes}
    own_group, outside = [], []
    for proc in processes:
        try:
            (own_group if os.getpgid(proc.pid) == group else outside).append(proc)
        except (ProcessLookupError, OSError):
            continue
    _signal_all(own_group, signal.SIGSTOP)  # frozen workers neither respawn nor write
    _signal_all(outside, signal.SIGKILL)  # the heavy children (their own sessions) first
    _signal_all(own_group, signal.SIGKILL)
    psutil.wait_procs(processes, timeout=5)
    return _hand_back(known_pids)


def _hand_back(pids: set[int]) -> list[int]:
    """Queue again the jobs this cluster's workers were running (no attempt is used: nothing failed)."""
    host = socket.gethostname()
    workers = [f"{host}:{pid}" for pid in pids]
    requeued = []
    try:
        close_old_connections()
        for job in Job.objects.filter(status=JobStatus.RUNNING, waiting=False, worker__in=workers):
            if job_requeue(job=job, reason=f"worker {job.worker} stopped; queued again", count_attempt=False):
                requeued.append(job.pk)
    except Exception:  # the database may be gone too: the reaper re-queues them once they go stale
        logger.exception("could not queue the jobs of the stopped workers again")
    return requeued


def run_cluster() -> None:
    stop = threading.Event()
    cluster = Cluster()
    cluster.start()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    reaper = threading.Thread(target=_reap_every, args=(stop,), name="reaper", daemon=True)
    reaper.start()
    known: set[int] = set()
    while not stop.wait(0.5):
        known |= {p.pid for p in _descendants()}
        if not cluster.sentinel.is_alive():
            logger.error("the django-q2 sentinel died; stopping the worker")
            break
    requeued = stop_now(known)
    logger.warning("worker stopped%s", f"; jobs queued again: {requeued}" if requeued else "")
    sys.stdout.flush()
    sys.stderr.flush()
    # django-q2's own exit would wait for the processes just killed, and its queues' threads.
    os._exit(0)
