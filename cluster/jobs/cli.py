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
