"""What a handler sees of its job: progress, log, cancellation, resumable state, children."""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection
from django.db.models import Sum
from django.utils import timezone

from cluster.choices import JobStatus

logger = logging.getLogger("epoch_builder.jobs")

LOG_TAIL_LINES = 300
LOG_STAMP = "%Y-%m-%dT%H:%M:%SZ"  # UTC, ISO 8601, as every time on the pages
WAIT_FOR_CHILDREN = object()


def log_stamp() -> str:
    return timezone.now().strftime(LOG_STAMP)


class JobCancelled(Exception):
    """Raised inside a handler when someone asked to cancel the job."""


class JobFailed(Exception):
    """An expected failure: the message is shown to the user, no traceback needed.

    Permanent unless ``retryable`` (a crashed child process, a lost server): see
    ``cluster.jobs.failures.classify_failure``.
    """

    def __init__(self, message: str = "", *, retryable: bool = False):
        super().__init__(message)
        self.retryable = retryable


class JobContext:
    """Handed to every job handler. Writes are throttled; all go through conditional updates
    keyed by the claim token, so a job that was reaped and re-queued cannot be written by the
    attempt that lost it."""

    def __init__(self, job, token: str, observer=None):
        self.job = job
        self.token = token
        self.observer = observer
        self._lock = threading.Lock()
        self._log = deque(job.log_tail.splitlines()[-LOG_TAIL_LINES:], maxlen=LOG_TAIL_LINES)
        self._dirty = False
        self._last_flush = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.cancel_seen = False
        self._on_cancel: list = []

    # --- handler API ----------------------------------------------------------------------
    @property
    def params(self) -> dict:
        return self.job.params

    @property
    def state(self) -> dict:
        return self.job.state

    def progress(self, done: int, total: int | None = None, message: str | None = None) -> None:
        with self._lock:
            self.job.progress_done = int(done)
            if total is not None:
                self.job.progress_total = int(total)
            if message is not None:
                self.job.progress_message = str(message)[:500]
            self._dirty = True
        if self.observer:
            self.observer.progress(self.job.progress_done, self.job.progress_total, self.job.progress_message)
        self._maybe_flush()
        self.check_cancelled()

    def log(self, message: str) -> None:
        stamp = log_stamp()
        with self._lock:
            for line in str(message).splitlines() or [""]:
                self._log.append(f"{stamp} {line}")
            self._dirty = True
        logger.info("[%s #%s] %s", self.job.kind, self.job.pk, message)
        if self.observer:
            self.observer.log(str(message))
        self._maybe_flush()

    def stage(self, number: int, count: int, name: str) -> None:
        """A staged parent is at stage ``number`` of ``count``, named ``name``."""
        with self._lock:
            self.job.stage_number, self.job.stage_count, self.job.stage_name = int(number), int(count), str(name)[:200]
            self._dirty = True
        self.flush()

    def save_state(self, **values: Any) -> None:
        """Persist resumable progress now (a re-run reads it back from ``ctx.state``)."""
        with self._lock:
            self.job.state.update(values)
            self._dirty = True
        self.flush()

    def check_cancelled(self) -> None:
        if self.cancel_seen:
            raise JobCancelled("cancelled on request")

    def on_cancel(self, callback) -> None:
        """Run ``callback`` (from the heartbeat thread) as soon as a cancel is seen."""
        self._on_cancel.append(callback)

    def spawn_children(self, specs: Iterable[dict]) -> list:
        """Create (once) and enqueue one child job per spec, then let the parent wait.

        Each spec holds ``kind``, ``params`` and a ``dedup_key`` unique among the siblings;
        children that already exist are kept, so a re-run of the parent adds nothing twice.
        """
        from cluster.services.jobs import job_children_ensure  # why: child processes import this package without Django

        return job_children_ensure(parent=self.job, specs=list(specs))

    def wait_for_children(self):
        return WAIT_FOR_CHILDREN

    # --- persistence ----------------------------------------------------------------------
    def _maybe_flush(self) -> None:
        if time.monotonic() - self._last_flush >= settings.JOB_HEARTBEAT_SECONDS / 2:
            self.flush()

    def flush(self) -> None:
        from cluster.models import Job  # why: child processes import this package without Django

        with self._lock:
            fields = {
                "heartbeat_at": timezone.now(),
                "progress_done": self.job.progress_done,
                "progress_total": self.job.progress_total,
                "progress_message": self.job.progress_message,
                "stage_name": self.job.stage_name,
                "stage_number": self.job.stage_number,
                "stage_count": self.job.stage_count,
                "log_tail": "\n".join(self._log),
                "state": self.job.state,
            }
            self._dirty = False
            self._last_flush = time.monotonic()
        mine = Job.objects.filter(pk=self.job.pk, claim_token=self.token, status=JobStatus.RUNNING)
        if not mine.update(**fields):
            # Reaped and re-queued elsewhere: this attempt must stop writing.
            self.cancel_seen = True
            return
        if Job.objects.filter(pk=self.job.pk, cancel_requested=True).exists():
            self._cancel_now()
        if self.job.parent_id:
            _roll_up_parent(self.job.parent_id)

    def _cancel_now(self) -> None:
        if not self.cancel_seen:
            self.cancel_seen = True
            for callback in self._on_cancel:
                try:
                    callback()
                except Exception:  # a failed kill must not hide the cancel itself
                    logger.exception("cancel callback failed for job %s", self.job.pk)

    # --- heartbeat thread -----------------------------------------------------------------
    def start_heartbeat(self) -> None:
        self._thread = threading.Thread(target=self._beat, name=f"job-{self.job.pk}-heartbeat", daemon=True)
        self._thread.start()

    def stop_heartbeat(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=30)

    def _beat(self) -> None:
        try:
            while not self._stop.wait(settings.JOB_HEARTBEAT_SECONDS):
                close_old_connections()
                try:
                    self.flush()
                except Exception:
                    logger.exception("heartbeat of job %s failed", self.job.pk)
        finally:
            connection.close()


def _roll_up_parent(parent_id: int) -> None:
    """A parent's progress is the sum of its children's."""
    from cluster.models import Job  # why: child processes import this package without Django

    totals = Job.objects.filter(parent_id=parent_id).aggregate(done=Sum("progress_done"), total=Sum("progress_total"))
    Job.objects.filter(pk=parent_id).update(progress_done=totals["done"] or 0, progress_total=totals["total"] or 0)
