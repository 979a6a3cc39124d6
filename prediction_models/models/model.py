"""A built prediction model: its certificate is a file; the row keeps what people sort by."""
from django.db import models

__all__ = ["PredictionModel"]


class PredictionModel(models.Model):
    # <EPOCH_ID>_<32 hex>: 30-200 characters, never containing "KR_".
    id = models.CharField(primary_key=True, max_length=200)
    search = models.ForeignKey("prediction_models.PredictionModelSearch", on_delete=models.CASCADE, related_name="models")
    profitable_config = models.ForeignKey("prediction_models.ProfitableConfig", on_delete=models.CASCADE, related_name="models")
    rank = models.PositiveIntegerField()
    certificate_file = models.CharField(max_length=500)
    profit = models.FloatField(db_index=True)
    accuracy = models.FloatField(db_index=True)
    positions = models.PositiveIntegerField()
    largest_drawdown = models.FloatField(null=True, blank=True)
    holdout_profit = models.FloatField(null=True, blank=True, db_index=True)
    holdout_accuracy = models.FloatField(null=True, blank=True)
    holdout_positions = models.PositiveIntegerField(null=True, blank=True)
    sharpe = models.FloatField(null=True, blank=True)
    profit_factor = models.FloatField(null=True, blank=True)
    buy_and_hold = models.FloatField(null=True, blank=True)
    # Epoch Builder Evaluation of the certificate (EPOCA_CONTRACT.md §5.1): points of 100 and its state.
    ebe_points = models.FloatField(null=True, blank=True, db_index=True)
    ebe_state = models.CharField(max_length=16, blank=True)
    # Two models with the same fingerprint trade the same positions (entry and exit minutes, sides).
    positions_fingerprint = models.CharField(max_length=64, blank=True, db_index=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["search", "rank"]

    def __str__(self) -> str:
        return self.id
