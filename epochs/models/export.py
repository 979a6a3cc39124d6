"""An Epoch File written for one prediction model, and the ids it made public."""

from django.conf import settings
from django.db import models

__all__ = ["EpochExport"]


class EpochExport(models.Model):
    epoch = models.ForeignKey("epochs.Epoch", on_delete=models.CASCADE, related_name="exports")
    prediction_model_id = models.CharField(max_length=200, db_index=True)
    # Every regression id in the file: Epoca keys its certificate tables by these ids, so none
    # may ever be exported again.
    regression_ids = models.JSONField(default=list)
    file_path = models.CharField(max_length=500, help_text="Relative to the epoch folder.")
    sha256 = models.CharField(max_length=64)
    size = models.BigIntegerField()
    manifest = models.JSONField(default=dict)
    verified = models.BooleanField(default=False)
    verification = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)
    # An administrator may withdraw an export (the zip is kept) to unfreeze its epoch.
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    withdrawal_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.epoch_id} / {self.prediction_model_id}"

    @property
    def file_name(self) -> str:
        return f"{self.epoch_id}.zip"
