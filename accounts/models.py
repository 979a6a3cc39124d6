"""The audit log: who did what destructive thing, when, with which parameters (never secrets)."""

from django.conf import settings
from django.db import models


class AuditEntry(models.Model):
    """One destructive action (delete, retrain, power, kill, server edit...), from the API or the admin."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    username = models.CharField(max_length=150, blank=True, help_text="Kept when the account is deleted.")
    interface = models.CharField(max_length=10, choices=[("api", "API"), ("admin", "admin")])
    action = models.CharField(
        max_length=100, db_index=True, help_text="What was done, e.g. server.reboot or epochs.epoch.delete."
    )
    target = models.CharField(max_length=300, blank=True, help_text="The object(s) acted on.")
    method = models.CharField(max_length=10, blank=True)
    path = models.CharField(max_length=500, blank=True)
    params = models.JSONField(default=dict, blank=True, help_text="The request's parameters, secrets removed.")
    status_code = models.PositiveIntegerField(null=True, blank=True, help_text="The answer's HTTP status.")

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.username or '-'} {self.action} {self.target}"
