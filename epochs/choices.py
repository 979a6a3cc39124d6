from django.db import models


class EpochStatus(models.TextChoices):
    CREATING = "creating", "Creating"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"
    EXPORTED = "exported", "Exported"


class EpochPreset(models.TextChoices):
    DEFAULT = "default", "Default (purge and holdout)"
    ORIGINAL = "original", "Original (reproduces the original tool: no purge, no holdout)"


class PredictionInterval(models.IntegerChoices):
    M15 = 15, "15 minutes"
    M30 = 30, "30 minutes"
