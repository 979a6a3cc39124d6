"""Run a job in the current process, with a tqdm progress bar (management commands)."""

from __future__ import annotations

import sys
import time

from tqdm import tqdm

from cluster.choices import ACTIVE_STATUSES, JobStatus
from cluster.jobs.runner import execute
from cluster.models import Job


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


def run_inline(job, *, verbose: bool = False):
    """Claim and run ``job`` here; return it refreshed. A job already claimed is left alone."""
    observer = TqdmObserver(f"{job.kind} #{job.pk}", verbose=verbose)
    try:
        execute(job.pk, str(job.claim_token), observer=observer)
    finally:
        observer.close()
    job.refresh_from_db()
    return job


def run_tree_inline(job, *, verbose: bool = False, poll_seconds: float = 1.0):
    """Run a parent job and its descendants here, taking part like a worker.

    Children (and theirs: a pipeline's stages fan out again) are queued as usual; this process
    claims the oldest queued job of the tree one by one (a worker that claimed one first keeps
    it) and waits while the rest runs elsewhere, until the parent has ended.
    """
    job = run_inline(job, verbose=verbose)
    while job.status in ACTIVE_STATUSES:
        queued = _oldest_queued_in_tree(job)
        if queued is not None:
            run_inline(queued, verbose=verbose)
        else:
            time.sleep(poll_seconds)
        job.refresh_from_db()
    return job


def _oldest_queued_in_tree(root):
    ids, frontier = [root.pk], [root.pk]
    while frontier:
        frontier = list(Job.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
        ids += frontier
    return Job.objects.filter(pk__in=ids, status=JobStatus.QUEUED).order_by("id").first()
