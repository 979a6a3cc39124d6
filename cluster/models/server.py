"""Cluster servers reached over SSH. Keys stay on disk: the database only holds their path."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models

__all__ = ["Server", "ServerAction"]


class Server(models.Model):
    name = models.SlugField(max_length=100, unique=True)
    host = models.CharField(max_length=255)
    port = models.PositiveIntegerField(default=22, validators=[MinValueValidator(1), MaxValueValidator(65535)])
    user = models.CharField(
        max_length=64, validators=[RegexValidator(r"^[a-z_][a-z0-9_.-]*$", "Not a valid unix user name.")]
    )
    key_path = models.CharField(
        max_length=500,
        blank=True,
        help_text="Path of the SSH private key on this machine (0600). Empty: the app's own key.",
    )
    remote_root = models.CharField(
        max_length=500, default="epoch-builder", help_text="Folder on the server that holds everything we push."
    )
    python = models.CharField(
        max_length=500,
        blank=True,
        help_text="Interpreter that runs our code on the server. Empty: <remote root>/venv/bin/python.",
    )
    is_cluster_worker = models.BooleanField(default=True)
    max_jobs = models.PositiveIntegerField(default=1, validators=[MinValueValidator(1)])
    host_key_fingerprint = models.CharField(
        max_length=200, blank=True, help_text="Confirmed SSH host key (SHA256:...)."
    )
    host_key_presented = models.CharField(
        max_length=200, blank=True, help_text="Key the server presented when last fetched; confirm it to trust it."
    )
    host_key_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    host_key_confirmed_at = models.DateTimeField(null=True, blank=True)
    last_status = models.JSONField(default=dict, blank=True)
    last_seen = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def host_key_confirmed(self) -> bool:
        return bool(self.host_key_fingerprint and self.host_key_confirmed_at)


class ServerAction(models.Model):
    """Who ran which action on a server, and how it ended."""

    server = models.ForeignKey(Server, on_delete=models.CASCADE, related_name="actions")
    action = models.CharField(max_length=64)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ok = models.BooleanField(default=True)
    output = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.server} {self.action} ({'ok' if self.ok else 'failed'})"
