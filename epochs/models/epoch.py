"""An epoch: the data window, its parameters and every setting the later stages read."""
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from epoca_builder.transitions import transition
from epochs.choices import EpochPreset, EpochStatus, PredictionInterval
from epochs.validators import validate_epoch_id

__all__ = ["Epoch"]






def default_pcr():
    return [3]


def default_min_sum_functions():
    return ["mean", "median"]


def default_adjustment_factors():
    return [1, 1.5, 2]


def default_regressions_per_model():
    return [8]


class Epoch(models.Model):
    # Epoch ids are the original's: "_" + upper case, 4-100 characters, never "KR_".
    id = models.CharField(primary_key=True, max_length=100, validators=[validate_epoch_id])
    candlestick_set = models.ForeignKey("epochs.CandlestickSet", on_delete=models.PROTECT, related_name="epochs")
    preset = models.CharField(max_length=16, choices=EpochPreset.choices, default=EpochPreset.DEFAULT)
    status = models.CharField(max_length=16, choices=EpochStatus.choices, default=EpochStatus.CREATING)

    # ORIGINAL.md §2.1, same defaults and ranges (width down to 1 month).
    seed = models.PositiveIntegerField(default=60184, validators=[MinValueValidator(1), MaxValueValidator(100_000_000)])
    epoch_width = models.PositiveIntegerField(default=48, validators=[MinValueValidator(1), MaxValueValidator(80)], help_text="Months of 30 days.")
    sma_window_size = models.PositiveIntegerField(default=25, validators=[MinValueValidator(10), MaxValueValidator(300)])
    train_split = models.FloatField(default=0.75, validators=[MinValueValidator(0.6), MaxValueValidator(0.95)])
    validation_split = models.FloatField(default=0.2, validators=[MinValueValidator(0.15), MaxValueValidator(0.4)])
    regression_lookback = models.PositiveIntegerField(default=128, validators=[MinValueValidator(32), MaxValueValidator(512)])
    regression_predictions = models.PositiveIntegerField(default=32, validators=[MinValueValidator(32), MaxValueValidator(256)])
    exchange_fee = models.FloatField(default=0.065, validators=[MinValueValidator(0.02), MaxValueValidator(0.2)], help_text="Percent per side.")
    position_size = models.FloatField(default=10000, validators=[MinValueValidator(100), MaxValueValidator(100_000_000)])
    leverage = models.PositiveIntegerField(default=3, validators=[MinValueValidator(1), MaxValueValidator(10)])
    idle_minutes_on_position_close = models.PositiveIntegerField(default=180, validators=[MaxValueValidator(1000)])
    prediction_interval = models.PositiveIntegerField(choices=PredictionInterval.choices, default=PredictionInterval.M15)
    data_end = models.BigIntegerField(null=True, blank=True, help_text="Optional: end the epoch at the last candle closing by this time (ms). Default: the store's last candle.")
    purge = models.BooleanField(default=True, help_text="Drop training windows whose targets reach the test range.")
    holdout_share = models.FloatField(default=0.25, validators=[MinValueValidator(0), MaxValueValidator(0.5)], help_text="Share of the test range kept untouched for the holdout backtest.")
    max_gap_minutes = models.PositiveIntegerField(default=1440, help_text="Refuse candles with a longer gap inside the epoch's range (minutes); raise it to accept one on purpose.")

    # Regression factory settings.
    regression_grid_profile = models.CharField(max_length=64, default="original")
    max_epochs = models.PositiveIntegerField(default=500, validators=[MinValueValidator(1)])
    patience = models.PositiveIntegerField(default=10, validators=[MinValueValidator(1)])
    batch_size = models.PositiveIntegerField(default=512, validators=[MinValueValidator(1)])

    # Prediction-model settings (ORIGINAL.md §7.2, §7.5).
    price_change_requirements = models.JSONField(default=default_pcr)
    min_sum_functions = models.JSONField(default=default_min_sum_functions)
    min_sum_adjustment_factors = models.JSONField(default=default_adjustment_factors)
    regressions_per_model = models.JSONField(default=default_regressions_per_model)
    min_accuracy = models.FloatField(default=55.0, validators=[MinValueValidator(0), MaxValueValidator(100)])
    min_profit = models.FloatField(default=0.0)

    # Computed at creation (epoch.json).
    start = models.BigIntegerField(null=True, blank=True)
    end = models.BigIntegerField(null=True, blank=True)
    test_ds_start = models.BigIntegerField(null=True, blank=True)
    test_ds_end = models.BigIntegerField(null=True, blank=True)
    highest_price_sma = models.FloatField(null=True, blank=True)
    lowest_price_sma = models.FloatField(null=True, blank=True)
    prediction_rows = models.PositiveIntegerField(null=True, blank=True)
    data_fingerprint = models.CharField(max_length=64, blank=True)
    gaps = models.JSONField(default=dict, blank=True, help_text="Missing 1-minute candles inside the range: count, minutes, longest, every gap.")
    error = models.TextField(blank=True)
    # Measured by the services whenever they write the folder: the list page reads no files.
    disk_bytes = models.BigIntegerField(default=0, help_text="Bytes under the epoch's folder when its files last changed.")

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created"]
        permissions = [("withdraw_export", "Can withdraw an epoch's export (unfreezes the epoch)")]

    def __str__(self) -> str:
        return self.id

    @property
    def is_frozen(self) -> bool:
        """Exported and not withdrawn: its regressions, settings and files must stay as Epoca has them."""
        return self.status == EpochStatus.EXPORTED

    @property
    def is_ready(self) -> bool:
        return self.status in (EpochStatus.READY, EpochStatus.EXPORTED)

    # --- status transitions (each a conditional update: see epoca_builder.transitions) -----
    def mark_creating(self) -> bool:
        """(Re)build its folder: never once exported, Epoca holds that one."""
        return transition(self, EpochStatus.CREATING, error="",
                          sources=(EpochStatus.CREATING, EpochStatus.FAILED, EpochStatus.READY))

    def mark_ready(self, **computed) -> bool:
        """The folder is built: ``computed`` holds what creation derived (range, bounds, fingerprint)."""
        return transition(self, EpochStatus.READY, error="", sources=(EpochStatus.CREATING,), **computed)

    def mark_failed(self, *, error: str) -> bool:
        return transition(self, EpochStatus.FAILED, error=error, sources=(EpochStatus.CREATING,))

    def mark_exported(self) -> bool:
        return transition(self, EpochStatus.EXPORTED, sources=(EpochStatus.READY, EpochStatus.EXPORTED))

    def mark_export_withdrawn(self) -> bool:
        return transition(self, EpochStatus.READY, sources=(EpochStatus.EXPORTED,))
