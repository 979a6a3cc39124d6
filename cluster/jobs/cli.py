"""Run a job in the current process, with a tqdm progress bar (management commands)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.db import connection
from tqdm import tqdm

from cluster.choices import ACTIVE_STATUSES, JobStatus
from cluster.jobs.process import die_with_parent
from cluster.jobs.runner import execute
from cluster.models import Job
from core.cores import usable_cores


class TqdmObserver:
    def __init__(self, description: str, *, verbose: bool = True):
        self.bar = tqdm(total=0, desc=description, unit="step", dynamic_ncols=True, file=sys.stderr)
        self.verbose = verbose

    def progress(self, done: int, total: int, message: str) -> None:
        if total and self.bar.total != total:
            self.bar.total = total
        self.bar.n = done
        if message:
            self.bar.set_postfix_str(message[:60], refresh=False)
        self.bar.refresh()

    def log(self, message: str) -> None:
        if self.verbose:
            self.bar.write(message, file=sys.stderr)

    def close(self) -> None:
        self.bar.close()


def run_inline(job, *, verbose: bool = False, bar: bool = True):
    """Claim and run ``job`` here; return it refreshed. A job already claimed is left alone.

    ``bar``: show its progress bar (helper processes run without one).
    """
    observer = TqdmObserver(f"{job.kind} #{job.pk}", verbose=verbose) if bar else None
    try:
        execute(job.pk, str(job.claim_token), observer=observer)
    finally:
        if observer is not None:
            observer.close()
    job.refresh_from_db()
    return job


def run_tree_inline(job, *, verbose: bool = False, poll_seconds: float = 0.2, workers: int = 1):
    """Run a parent job and its descendants here, taking part like a worker.

    Children (and theirs: a pipeline's stages fan out again) are queued as usual; this process
    claims the oldest queued job of the tree one by one (a worker that claimed one first keeps
    it) and waits while the rest runs elsewhere, until the parent has ended.

    ``workers`` > 1 starts that many minus one helper processes (``manage.py run_job_tree``)
    that take the tree's queued jobs beside this one, as worker processes would, so that
    jobs queued together (a batch's trainings) run at once on as many cores. Inside a caller's
    transaction (a test) other processes could not see the jobs: it runs alone then.
    """
    helpers = [] if workers <= 1 or connection.in_atomic_block else _start_helpers(job, workers - 1)
    try:
        job = run_inline(job, verbose=verbose)
        while job.status in ACTIVE_STATUSES:
            job = take_part(job, verbose=verbose, poll_seconds=poll_seconds)
    except BaseException:
        _stop_helpers(helpers, grace_seconds=0)
        raise
    _stop_helpers(helpers)
    return job


def take_part(root, *, verbose: bool = False, poll_seconds: float = 0.2, bar: bool = True):
    """One turn of a participant: run the tree's oldest queued job, or wait a moment; the root refreshed."""
    queued = _oldest_queued_in_tree(root)
    if queued is not None:
        run_inline(queued, verbose=verbose, bar=bar)
    else:
        time.sleep(poll_seconds)
    root.refresh_from_db()
    return root


def _start_helpers(job, count: int) -> list[subprocess.Popen]:
    argv = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "run_job_tree", str(job.pk)]
    # Each helper dies with this process (parent-death signal), as a training child does.
    return [
        subprocess.Popen(argv, cwd=str(settings.BASE_DIR), stdin=subprocess.DEVNULL, preexec_fn=die_with_parent)
        for _ in range(count)
    ]


def _stop_helpers(helpers: list[subprocess.Popen], *, grace_seconds: float = 10.0) -> None:
    """The helpers end by themselves once the root has ended; one that does not is stopped."""
    deadline = time.monotonic() + grace_seconds
    for helper in helpers:
        try:
            helper.wait(timeout=max(0.001, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            helper.send_signal(signal.SIGTERM)
            try:
                helper.wait(timeout=5)
            except subprocess.TimeoutExpired:
                helper.kill()
                helper.wait()


def default_workers() -> int:
    """As many participants as this machine has cores (at least one)."""
    return usable_cores()


def _oldest_queued_in_tree(root):
    ids, frontier = [root.pk], [root.pk]
    while frontier:
        frontier = list(Job.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
        ids += frontier
    return Job.objects.filter(pk__in=ids, status=JobStatus.QUEUED).order_by("id").first()
