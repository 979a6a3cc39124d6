"""A built prediction model: its certificate is a file; the row keeps what people sort by."""

from django.db import models

from prediction_models.engine.metrics import MODEL_METRICS, Metric

__all__ = ["FEW_POSITIONS", "PredictionModel"]

# Fewer positions than this in the selection period prove little, whatever the search's setting.
FEW_POSITIONS = 30


def metric_field(metric: Metric) -> models.Field:
    """The column of a backtest metric, as the metrics table declares it."""
    kind = models.PositiveIntegerField if metric.digits is None else models.FloatField
    return kind(null=metric.nullable, blank=metric.nullable, db_index=metric.indexed)


class PredictionModel(models.Model):
    # <EPOCH_ID>_<32 hex>: 30-200 characters, never containing "KR_".
    id = models.CharField(primary_key=True, max_length=200)
    search = models.ForeignKey(
        "prediction_models.PredictionModelSearch", on_delete=models.CASCADE, related_name="models"
    )
    profitable_config = models.ForeignKey(
        "prediction_models.ProfitableConfig", on_delete=models.CASCADE, related_name="models"
    )
    rank = models.PositiveIntegerField()
    certificate_file = models.CharField(max_length=500)
    # Every backtest metric (prediction_models.engine.metrics.MODEL_METRICS) is a column, added
    # below; ebe_points is the Epoch Builder Evaluation of the certificate (EPOCA_CONTRACT.md §5.1).
    ebe_state = models.CharField(max_length=16, blank=True)
    # Two models with the same fingerprint trade the same positions (entry and exit minutes, sides).
    positions_fingerprint = models.CharField(max_length=64, blank=True, db_index=True)
    # The Deflated Sharpe Ratio of its selection-period daily returns against the search's trials,
    # with N = configs tried and N = distinct position sequences (OverfittingSummary.deflated_sharpe);
    # None when the search has no overfitting summary.
    deflated_sharpe = models.JSONField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    # For the type checker: a column the metrics table adds below (nothing is created here).
    holdout_profit: float | None

    class Meta:
        ordering = ["search", "rank"]

    def __str__(self) -> str:
        return self.id

    @property
    def few_positions(self) -> bool:
        """Fewer positions in the selection period than the search asked for, or than 30."""
        return self.positions < max(self.search.min_positions, FEW_POSITIONS)


for _metric in MODEL_METRICS:
    PredictionModel.add_to_class(_metric.column, metric_field(_metric))
