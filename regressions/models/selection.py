"""A saved choice of regressions for the prediction models, with how it was ranked."""

from django.conf import settings
from django.db import models

from regressions.choices import SelectionMode

__all__ = ["RegressionSelection"]


class RegressionSelection(models.Model):
    epoch = models.ForeignKey("epochs.Epoch", on_delete=models.CASCADE, related_name="selections")
    name = models.CharField(max_length=100)
    mode = models.CharField(max_length=16, choices=SelectionMode.choices, default=SelectionMode.TOP_N)
    criteria = models.JSONField(default=dict, help_text="Ranking keys and minimum counts.")
    size = models.PositiveIntegerField(default=20)
    ranking = models.JSONField(default=list, help_text="Every eligible regression in rank order, with its score.")
    regression_ids = models.JSONField(default=list, help_text="The chosen regressions, in order.")
    regressions = models.ManyToManyField("regressions.Regression", related_name="selections", blank=True)
    note = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created"]
        constraints = [models.UniqueConstraint(fields=["epoch", "name"], name="regressions_selection_unique_name")]

    def __str__(self) -> str:
        return f"{self.epoch_id} / {self.name}"
