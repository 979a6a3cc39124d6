"""A forward test: a built model traded on candles after its epoch, as Epoca would feed it."""

from django.conf import settings
from django.db import models

from core.transitions import transition
from prediction_models.choices import ForwardTestStatus

__all__ = ["ForwardTest"]


class ForwardTest(models.Model):
    prediction_model = models.ForeignKey(
        "prediction_models.PredictionModel", on_delete=models.CASCADE, related_name="forward_tests"
    )
    start = models.BigIntegerField(help_text="First decision at or after this time (ms).")
    end = models.BigIntegerField(help_text="Last candle closing by this time (ms).")
    status = models.CharField(max_length=16, choices=ForwardTestStatus.choices, default=ForwardTestStatus.QUEUED)
    # The record itself (performance, discovery, metrics) is the result file; the row keeps the summary.
    result_file = models.CharField(max_length=500, blank=True)
    decisions = models.PositiveIntegerField(null=True, blank=True)
    refused_rows = models.PositiveIntegerField(null=True, blank=True)
    profit = models.FloatField(null=True, blank=True)
    accuracy = models.FloatField(null=True, blank=True)
    positions = models.PositiveIntegerField(null=True, blank=True)
    buy_and_hold = models.FloatField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["prediction_model", "start", "created"]

    def __str__(self) -> str:
        return f"forward test #{self.pk} of {self.prediction_model_id}"

    # --- status transitions (each a conditional update: see core.transitions) -----
    def mark_done(self, **summary) -> bool:
        """Record the result; a test that is done already keeps its first record."""
        return transition(
            self,
            ForwardTestStatus.DONE,
            error="",
            sources=(ForwardTestStatus.QUEUED, ForwardTestStatus.FAILED),
            **summary,
        )

    def mark_failed(self, *, error: str) -> bool:
        return transition(
            self, ForwardTestStatus.FAILED, error=error, sources=(ForwardTestStatus.QUEUED, ForwardTestStatus.FAILED)
        )
