"""A search of the prediction-model config space of one regression selection."""

from django.conf import settings
from django.db import models

from core.transitions import transition
from prediction_models.choices import SearchStatus
from prediction_models.engine.metrics import SEARCH_MINIMUMS, SearchMinimum

__all__ = ["ConfigChunk", "PredictionModelSearch", "ProfitableConfig"]


class PredictionModelSearch(models.Model):
    epoch = models.ForeignKey("epochs.Epoch", on_delete=models.CASCADE, related_name="searches")
    selection = models.ForeignKey("regressions.RegressionSelection", on_delete=models.PROTECT, related_name="searches")
    status = models.CharField(max_length=16, choices=SearchStatus.choices, default=SearchStatus.NEW)
    # The config space, frozen from the epoch's settings when the search starts.
    regression_ids = models.JSONField(default=list)
    regressions_per_model = models.JSONField(default=list)
    price_change_requirements = models.JSONField(default=list)
    min_sum_functions = models.JSONField(default=list)
    min_sum_adjustment_factors = models.JSONField(default=list)
    # The filter's bounds (prediction_models.engine.metrics.SEARCH_MINIMUMS), frozen from the
    # epoch's settings too: one field each, added below (min_accuracy, min_profit, min_positions).
    # How the build ranks the profitable configs (prediction_models.engine.ranking); searches
    # made before the setting ranked by profit.
    ranking = models.CharField(max_length=16, default="profit")
    null_baseline_seeds = models.PositiveIntegerField(default=0)
    # The null baseline's searches on day-permuted features, one per seed:
    # {"<seed>": {"configs": n, "passed": n, "pass_rate": r, "seconds": s}}.
    null_baseline = models.JSONField(default=dict, blank=True)
    total_configs = models.BigIntegerField(default=0)
    chunk_size = models.PositiveIntegerField(default=20000)
    configs_evaluated = models.BigIntegerField(default=0)
    profitable_found = models.PositiveIntegerField(default=0)
    search_seconds = models.FloatField(default=0.0)
    assets_sha256 = models.CharField(max_length=64, blank=True)
    # OverfittingSummary.as_dict() of the configs tried (docs/statistics.md); None until searched.
    overfitting = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)
    # For the type checker: fields the search minimums add below (nothing is created here).
    min_accuracy: float
    min_profit: float
    min_positions: int

    class Meta:
        ordering = ["-created"]
        verbose_name_plural = "prediction model searches"

    def __str__(self) -> str:
        return f"{self.epoch_id} search #{self.pk}"

    # --- status transitions (each a conditional update: see core.transitions) -----
    def mark_initialising(self) -> bool:
        """Its assets are (re)built: not once the config space has been searched with them."""
        return transition(
            self,
            SearchStatus.INITIALISING,
            error="",
            sources=(SearchStatus.NEW, SearchStatus.INITIALISING, SearchStatus.READY, SearchStatus.FAILED),
        )

    def mark_ready(self, *, assets_sha256: str) -> bool:
        return transition(
            self, SearchStatus.READY, assets_sha256=assets_sha256, error="", sources=(SearchStatus.INITIALISING,)
        )

    def mark_failed(self, *, error: str) -> bool:
        return transition(self, SearchStatus.FAILED, error=error, sources=(SearchStatus.INITIALISING,))

    def mark_new(self) -> bool:
        """A cancelled initialisation leaves the search as it was created."""
        return transition(self, SearchStatus.NEW, error="", sources=(SearchStatus.INITIALISING,))

    def mark_searching(self) -> bool:
        return transition(self, SearchStatus.SEARCHING, sources=(SearchStatus.READY,))

    def mark_searched(self) -> bool:
        return transition(self, SearchStatus.SEARCHED, sources=(SearchStatus.READY, SearchStatus.SEARCHING))

    def mark_built(self) -> bool:
        return transition(self, SearchStatus.BUILT, sources=(SearchStatus.SEARCHED, SearchStatus.BUILT))


class ConfigChunk(models.Model):
    """A slice [start, stop) of the config space: done or not done, never half-recorded."""

    search = models.ForeignKey(PredictionModelSearch, on_delete=models.CASCADE, related_name="chunks")
    index = models.PositiveIntegerField()
    start = models.BigIntegerField()
    stop = models.BigIntegerField()
    done = models.BooleanField(default=False)
    evaluated = models.PositiveIntegerField(default=0)
    profitable = models.PositiveIntegerField(default=0)
    seconds = models.FloatField(default=0.0)
    finished = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["search", "index"]
        constraints = [models.UniqueConstraint(fields=["search", "index"], name="pm_chunk_unique_index")]

    def __str__(self) -> str:
        return f"{self.search} chunk {self.index} [{self.start}, {self.stop})"


def minimum_field(minimum: SearchMinimum) -> models.Field:
    """The search's field of one bound of its filter, as the search minimums declare it."""
    if minimum.default is None:  # no bound unless the search sets one
        kind = models.PositiveIntegerField if minimum.integer else models.FloatField
        return kind(null=True, blank=True)
    if minimum.integer:
        return models.PositiveIntegerField(default=int(minimum.default))
    return models.FloatField(default=float(minimum.default))


for _minimum in SEARCH_MINIMUMS:
    PredictionModelSearch.add_to_class(_minimum.name, minimum_field(_minimum))


class ProfitableConfig(models.Model):
    """A config that passed the filter on the selection period; its index says which one."""

    search = models.ForeignKey(PredictionModelSearch, on_delete=models.CASCADE, related_name="profitable_configs")
    config_index = models.BigIntegerField()
    regression_ids = models.JSONField()
    price_change_requirement = models.FloatField()
    min_sum_function = models.CharField(max_length=16)
    min_sum_adjustment_factor = models.FloatField()
    profit = models.FloatField(db_index=True)
    accuracy = models.FloatField(db_index=True)
    positions = models.PositiveIntegerField()
    largest_drawdown = models.FloatField(null=True, blank=True)
    final_balance = models.FloatField()

    class Meta:
        ordering = ["-profit"]
        constraints = [models.UniqueConstraint(fields=["search", "config_index"], name="pm_profitable_once")]

    def __str__(self) -> str:
        return f"{self.search} config {self.config_index}"
