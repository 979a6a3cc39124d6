"""The workers' side of a kill point: a job that reaches the armed point stops there and says so.

Installed only in the chaos tests' workers (``worker_settings``, with ``CHAOS_DIR`` set). The
harness arms one point at a time by writing ``armed.json`` in ``CHAOS_DIR``. A job of that kind
reaching the point (its start counts as fraction 0, each progress report as done / total) while
it still has an attempt left, and with no job of its kind queued behind it, claims the point by
creating ``hit-<n>.json`` (its job id and process group), then waits. The harness then sends
SIGKILL to that worker's whole process group: the job dies exactly at its point, whatever the
speed of the machine, and nothing here ever ends a job by itself.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

ARMED = "armed.json"


def hit_file(root: Path, n: int) -> Path:
    return root / f"hit-{n}.json"


def arm(root: Path, n: int, kind: str, fraction: float) -> None:
    """Harness side: make point ``n`` the one the workers stop at (written whole, then renamed)."""
    tmp = root / f".{ARMED}.{n}"
    tmp.write_text(json.dumps({"n": n, "kind": kind, "fraction": fraction}))
    os.replace(tmp, root / ARMED)


def disarm(root: Path) -> None:
    (root / ARMED).unlink(missing_ok=True)


def reached(ctx, fraction: float) -> None:
    """Worker side: called when ``ctx``'s job starts (0.0) and after each of its progress reports."""
    root = Path(os.environ["CHAOS_DIR"])
    try:
        armed = json.loads((root / ARMED).read_text())
    except (OSError, ValueError):
        return
    job = ctx.job
    if armed["kind"] != job.kind or fraction < armed["fraction"] or job.attempts >= job.max_attempts:
        return
    from cluster.choices import JobStatus
    from cluster.models import Job

    # A job killed while siblings wait in the queue would wait for one of them to end before it
    # runs again: the recovery under test is the workers', so the point is taken by a job with
    # none of its kind queued (the last ones of a fan-out, or a retry: there always is one).
    if Job.objects.filter(kind=job.kind, status=JobStatus.QUEUED).exists():
        return
    target = hit_file(root, armed["n"])
    if target.exists():
        return
    tmp = root / f".hit-{armed['n']}.{os.getpid()}"
    tmp.write_text(
        json.dumps(
            {"job": job.pk, "pgid": os.getpgrp(), "pid": os.getpid(), "fraction": fraction, "attempt": job.attempts}
        )
    )
    try:
        os.link(tmp, target)  # the first job there takes the point; the file is whole when it appears
    except FileExistsError:
        return
    finally:
        tmp.unlink(missing_ok=True)
    _freeze_children()
    while True:  # until the harness kills this process group
        time.sleep(1)


def _freeze_children() -> None:
    """Stop this worker's child processes where they are (a warm training process runs in a process
    group of its own and dies with the worker by its parent-death signal): without it, the child
    would go on working until the harness kills the worker, and could finish the job first."""
    import signal

    import psutil

    for child in psutil.Process().children(recursive=True):
        try:
            child.send_signal(signal.SIGSTOP)
        except psutil.Error:
            pass


def install() -> None:
    """Wrap the job context's start and progress report (the job's own code runs unchanged)."""
    from cluster.jobs.context import JobContext

    start_heartbeat, progress = JobContext.start_heartbeat, JobContext.progress

    def start_heartbeat_then_check(self) -> None:
        start_heartbeat(self)
        reached(self, 0.0)

    def progress_then_check(self, done, total=None, message=None) -> None:
        progress(self, done, total, message)
        if self.job.progress_total:
            reached(self, self.job.progress_done / self.job.progress_total)

    JobContext.start_heartbeat, JobContext.progress = start_heartbeat_then_check, progress_then_check
