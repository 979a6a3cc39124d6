"""The job: the source of truth for every long action, whichever worker or server runs it."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone

from cluster.choices import ACTIVE_STATUSES, TERMINAL_STATUSES, JobStatus
from core.transitions import transition

__all__ = ["Job"]


class Job(models.Model):
    kind = models.CharField(max_length=100, db_index=True)
    status = models.CharField(max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED, db_index=True)
    params = models.JSONField(default=dict, blank=True)
    # Same non-empty key + kind while active: asking again returns the running job.
    dedup_key = models.CharField(max_length=200, blank=True)

    target_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.SET_NULL)
    target_id = models.CharField(max_length=64, blank=True)
    target = GenericForeignKey("target_type", "target_id")
    target_label = models.CharField(max_length=200, blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="jobs"
    )
    server = models.ForeignKey(
        "cluster.Server",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="jobs",
        help_text="Empty: runs on a local worker.",
    )
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="children")

    # Each enqueue draws a new token; only the message carrying it may claim the job, so a
    # duplicate or stale delivery finds nothing to claim.
    claim_token = models.UUIDField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    max_attempts = models.PositiveIntegerField(default=3)
    cancel_requested = models.BooleanField(default=False)
    # A parent that has fanned out waits for its children without a heartbeat of its own.
    waiting = models.BooleanField(default=False)
    # Delivery: when the current message was sent, and which django-q2 cluster (host:sentinel pid)
    # took it from the broker; the reaper sends again what no live cluster holds.
    queued_at = models.DateTimeField(null=True, blank=True)
    message_holder = models.CharField(max_length=200, blank=True)
    # The last failure cannot succeed on another attempt (see cluster.jobs.failures).
    permanent_failure = models.BooleanField(default=False)

    worker = models.CharField(max_length=200, blank=True, help_text="host:pid of the worker process running it.")
    process_group = models.IntegerField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    progress_done = models.BigIntegerField(default=0)
    progress_total = models.BigIntegerField(default=0)
    progress_message = models.CharField(max_length=500, blank=True)
    # A parent that runs its work in stages (the demo): the stage it is at, ``number`` of ``count``.
    stage_name = models.CharField(max_length=200, blank=True)
    stage_number = models.PositiveSmallIntegerField(default=0)
    stage_count = models.PositiveSmallIntegerField(default=0)
    log_tail = models.TextField(blank=True)
    state = models.JSONField(
        default=dict, blank=True, help_text="Resumable progress the handler keeps between attempts."
    )
    result = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    traceback = models.TextField(blank=True)

    created = models.DateTimeField(auto_now_add=True, db_index=True)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "dedup_key"],
                condition=Q(status__in=ACTIVE_STATUSES) & ~Q(dedup_key=""),
                name="cluster_job_one_active_per_dedup_key",
            )
        ]
        indexes = [models.Index(fields=["status", "heartbeat_at"])]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES

    @property
    def percent(self) -> float:
        if self.stage_count:  # a staged parent: its stages done, and the one it is at
            return round(100.0 * (self.fraction or 0.0), 1)
        if not self.progress_total:
            return 100.0 if self.status == JobStatus.SUCCEEDED else 0.0
        return round(min(100.0, 100.0 * self.progress_done / self.progress_total), 1)

    @property
    def stage(self) -> str:
        """``stage 4 / 9: Training`` for a staged parent; empty for a job without stages."""
        return f"stage {self.stage_number} / {self.stage_count}: {self.stage_name}" if self.stage_count else ""

    @property
    def fraction(self) -> float | None:
        """How much of the work is done (0..1), or None when nothing tells.

        A staged parent counts its finished stages and the progress reported within the stage.
        """
        within = min(1.0, self.progress_done / self.progress_total) if self.progress_total > 0 else None
        if self.stage_count:
            return (max(0, self.stage_number - 1) + (within or 0.0)) / self.stage_count
        return within

    @property
    def eta(self) -> datetime | None:
        """When a running job should end at its pace so far; None when it is not running or
        nothing is done yet (no pace to go by)."""
        fraction = self.fraction
        if self.status != JobStatus.RUNNING or self.started is None or not fraction or fraction >= 1:
            return None
        now = timezone.now()
        return now + (now - self.started) * ((1 - fraction) / fraction)

    @property
    def where(self) -> str:
        return self.server.name if self.server_id else "local"

    # --- status transitions (each a conditional update: see core.transitions) -----
    # A running job is written only by the attempt holding its claim token, so an attempt that
    # lost the job (reaped, queued again) cannot end it.
    @classmethod
    def claim(cls, pk: int, token: str, **fields) -> bool:
        """Start the attempt of the message carrying ``token``: of two deliveries, one claims."""
        return bool(
            cls.objects.filter(pk=pk, status=JobStatus.QUEUED, claim_token=token).update(
                status=JobStatus.RUNNING, **fields
            )
        )

    def end(self, status: str, *, token, **fields) -> bool:
        """End the running attempt that holds ``token``: succeeded, failed or cancelled."""
        return transition(self, status, sources=(JobStatus.RUNNING,), where={"claim_token": token}, **fields)

    def requeue(self, *, token, **fields) -> bool:
        """Queue the running job again under the new ``token`` (a lost worker, a retryable failure)."""
        return transition(
            self,
            JobStatus.QUEUED,
            sources=(JobStatus.RUNNING,),
            where={"claim_token": self.claim_token},
            claim_token=token,
            **fields,
        )

    def cancel_queued(self, **fields) -> bool:
        return transition(self, JobStatus.CANCELLED, sources=(JobStatus.QUEUED,), **fields)

    def cancel_waiting(self, **fields) -> bool:
        """A parent waiting for its children has no handler running to notice a cancel."""
        return transition(self, JobStatus.CANCELLED, sources=(JobStatus.RUNNING,), where={"waiting": True}, **fields)

    def queue_again(self, **fields) -> bool:
        """A failed or cancelled job is queued again (a retry)."""
        return transition(self, JobStatus.QUEUED, sources=(JobStatus.FAILED, JobStatus.CANCELLED), **fields)

    def set_target(self, obj) -> None:
        if obj is None:
            return
        self.target_type = ContentType.objects.get_for_model(obj)
        self.target_id = str(obj.pk)
        self.target_label = str(obj)[:200]
