"""Base for management commands that run one pipeline stage as a job in this process."""

from __future__ import annotations

import json
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from cluster.choices import JobStatus
from cluster.jobs.cli import run_tree_inline
from cluster.services.jobs import job_requeue
from core.errors import ApplicationError


class JobCommand(BaseCommand):
    """Subclasses implement ``create_job(**options)``; the job runs here with a progress bar.

    The job is recorded like any other, so the pages show it; if this process dies, the reaper
    hands the job to a worker.
    """

    def add_arguments(self, parser):
        parser.add_argument("--verbose-log", action="store_true", help="Print the job's log lines.")

    def create_job(self, **options):
        raise NotImplementedError

    def handle(self, *args, **options):
        try:
            job = self.create_job(**options)
        except ValidationError as exc:
            raise CommandError(_messages(exc)) from None
        except ApplicationError as exc:
            raise CommandError(exc.message) from None
        if job is None:
            return
        if job.status == JobStatus.RUNNING and _stale(job):
            # Its process died (a killed command, a lost worker): this run takes it over.
            job_requeue(job=job, reason=f"taken over by a command-line run: worker {job.worker or '?'} lost")
            job.refresh_from_db()
            self.stdout.write(f"Job #{job.pk}: its worker {job.worker or '?'} stopped beating; taking it over.")
        if job.status != JobStatus.QUEUED:
            if job.status == JobStatus.FAILED:
                raise CommandError(f"Job #{job.pk} failed: {job.error}")
            self.stdout.write(f"Job #{job.pk} is {job.status} already.")
            return
        job = run_tree_inline(job, verbose=options["verbose_log"])
        if job.status != JobStatus.SUCCEEDED:
            raise CommandError(f"Job #{job.pk} {job.status}: {job.error}")
        self.stdout.write(self.style.SUCCESS(f"Job #{job.pk} succeeded."))
        self.stdout.write(json.dumps(self.summarise(job.result), indent=2, default=str))

    def summarise(self, result: dict) -> dict:
        return result


def _stale(job) -> bool:
    """A running job whose heartbeat is older than JOB_STALE_SECONDS (a parent waiting on children has none)."""
    if job.waiting:
        return False
    cutoff = timezone.now() - timedelta(seconds=settings.JOB_STALE_SECONDS)
    return job.heartbeat_at is None or job.heartbeat_at < cutoff


def _messages(exc: ValidationError) -> str:
    if hasattr(exc, "message_dict"):
        return "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items())
    return " ".join(exc.messages)
