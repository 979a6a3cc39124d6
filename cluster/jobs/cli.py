"""Run a job in the current process, with a tqdm progress bar (management commands)."""
from __future__ import annotations

import sys

from tqdm import tqdm

from cluster.jobs.runner import execute


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
    """Run a parent job and its children here, taking part like a worker.

    Children are queued as usual; this process claims them one by one (a worker that claimed
    one first keeps it), waits for the ones running elsewhere, then runs the parent's final step.
    """
    import time

    from cluster.choices import ACTIVE_STATUSES, JobStatus

    job = run_inline(job, verbose=verbose)
    while job.status in ACTIVE_STATUSES:
        for child in job.children.filter(status=JobStatus.QUEUED).order_by("id"):
            run_inline(child, verbose=verbose)
        job.refresh_from_db()
        if job.status == JobStatus.QUEUED:  # the last child queued the parent to finish up
            job = run_inline(job, verbose=verbose)
        elif job.status == JobStatus.RUNNING:
            time.sleep(poll_seconds)
            job.refresh_from_db()
    return job
