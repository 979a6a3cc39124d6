"""A trained regression: its summary metrics (files hold the model and the full certificate)."""

from django.db import models

from core.transitions import transition
from regressions.choices import RegressionStatus

__all__ = ["Regression"]


class Regression(models.Model):
    config = models.OneToOneField(
        "regressions.RegressionConfig", primary_key=True, on_delete=models.CASCADE, related_name="regression"
    )
    epoch = models.ForeignKey("epochs.Epoch", on_delete=models.CASCADE, related_name="regressions")
    status = models.CharField(
        max_length=16, choices=RegressionStatus.choices, default=RegressionStatus.PENDING, db_index=True
    )
    # Test-set evaluation (normalised scale) and discovery: what people sort and filter by.
    test_mae = models.FloatField(null=True, blank=True)
    test_mse = models.FloatField(null=True, blank=True)
    test_loss = models.FloatField(null=True, blank=True)
    accuracy = models.FloatField(null=True, blank=True, db_index=True)
    increase_accuracy = models.FloatField(null=True, blank=True)
    decrease_accuracy = models.FloatField(null=True, blank=True)
    points = models.FloatField(null=True, blank=True)
    increase_num = models.PositiveIntegerField(null=True, blank=True)
    decrease_num = models.PositiveIntegerField(null=True, blank=True)
    neutral_num = models.PositiveIntegerField(null=True, blank=True)
    best_epoch = models.PositiveIntegerField(null=True, blank=True)
    epochs_trained = models.PositiveIntegerField(null=True, blank=True)
    training_seconds = models.FloatField(null=True, blank=True)
    # Epoch Builder Evaluation of the certificate (EPOCA_CONTRACT.md §5.1): points of 100 and its state.
    ebe_points = models.FloatField(null=True, blank=True, db_index=True)
    ebe_state = models.CharField(max_length=16, blank=True)
    certificate_sha256 = models.CharField(max_length=64, blank=True)
    h5_sha256 = models.CharField(max_length=64, blank=True)
    trained_at = models.DateTimeField(null=True, blank=True)
    # Each retrain asks for the next generation; the files in place are trained_generation's.
    generation = models.PositiveIntegerField(
        default=0, help_text="The generation the regression's training should produce."
    )
    trained_generation = models.PositiveIntegerField(default=0, help_text="The generation of the files in place.")
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["config_id"]

    def __str__(self) -> str:
        return self.config_id

    @property
    def id(self) -> str:
        return self.config_id

    # --- status transitions (each a conditional update: see core.transitions) -----
    # A trained regression stays trained: only recording its certificate again touches it.
    NOT_TRAINED = (RegressionStatus.PENDING, RegressionStatus.TRAINING, RegressionStatus.FAILED)

    def mark_training(self) -> bool:
        return transition(self, RegressionStatus.TRAINING, error="", sources=self.NOT_TRAINED)

    def mark_failed(self, *, error: str) -> bool:
        return transition(self, RegressionStatus.FAILED, error=error[:5000], sources=self.NOT_TRAINED)

    def mark_trained(self, **summary) -> bool:
        """Record the summary of its certificate: from any status, so recording again is harmless."""
        return transition(self, RegressionStatus.TRAINED, error="", sources=None, **summary)
