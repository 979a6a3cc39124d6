"""An epoch: the data window, its parameters and every setting the later stages read."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.deconstruct import deconstructible

from core.transitions import transition
from epochs.choices import EpochPreset, EpochStatus
from epochs.engine.epoch_params import PARAM, PARAMS, Param
from epochs.validators import ParamValidator, validate_epoch_id

__all__ = ["Epoch"]


@deconstructible
class ParamDefault:
    """A list parameter's declared default, a fresh copy for every row."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self):
        return PARAM[self.name].copy_default()

    def __eq__(self, other) -> bool:
        return isinstance(other, ParamDefault) and other.name == self.name

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.name))


# Referenced by migration 0001 (the defaults before they were declared in epoch_params).
def default_pcr():
    return PARAM["price_change_requirements"].copy_default()


def default_min_sum_functions():
    return PARAM["min_sum_functions"].copy_default()


def default_adjustment_factors():
    return PARAM["min_sum_adjustment_factors"].copy_default()


def default_regressions_per_model():
    return PARAM["regressions_per_model"].copy_default()


def param_field(param: Param) -> models.Field:
    """The column of an epoch parameter: its type, default, range validators and help from the declaration."""
    common = {"help_text": param.help}
    if param.label:
        common["verbose_name"] = param.label
    numeric = []
    if param.low is not None:
        numeric.append(MinValueValidator(param.low))
    if param.high is not None:
        numeric.append(MaxValueValidator(param.high))
    if param.kind is list:
        return models.JSONField(default=ParamDefault(param.name), validators=[ParamValidator(param.name)], **common)
    if param.kind is bool:
        return models.BooleanField(default=param.default, **common)
    if param.kind is str:
        choices = [(c, c) for c in param.choices] or None
        return models.CharField(max_length=param.max_length or 64, default=param.default, choices=choices, **common)
    if param.kind is float:
        return models.FloatField(default=param.default, validators=numeric, **common)
    choices = [(c, f"{c} {param.unit}".strip()) for c in param.choices] or None
    if param.nullable:
        return models.BigIntegerField(null=True, blank=True, validators=numeric, **common)
    field = models.PositiveIntegerField if (param.low or 0) >= 0 else models.IntegerField
    return field(default=param.default, choices=choices, validators=numeric, **common)


class Epoch(models.Model):
    # Epoch ids are the original's: "_" + upper case, 4-100 characters, never "KR_".
    id = models.CharField(primary_key=True, max_length=100, validators=[validate_epoch_id])
    candlestick_set = models.ForeignKey("epochs.CandlestickSet", on_delete=models.PROTECT, related_name="epochs")
    preset = models.CharField(max_length=16, choices=EpochPreset.choices, default=EpochPreset.DEFAULT)
    status = models.CharField(max_length=16, choices=EpochStatus.choices, default=EpochStatus.CREATING)

    # Computed at creation (epoch.json).
    start = models.BigIntegerField(null=True, blank=True)
    end = models.BigIntegerField(null=True, blank=True)
    test_ds_start = models.BigIntegerField(null=True, blank=True)
    test_ds_end = models.BigIntegerField(null=True, blank=True)
    highest_price_sma = models.FloatField(null=True, blank=True)
    lowest_price_sma = models.FloatField(null=True, blank=True)
    prediction_rows = models.PositiveIntegerField(null=True, blank=True)
    data_fingerprint = models.CharField(max_length=64, blank=True)
    gaps = models.JSONField(
        default=dict,
        blank=True,
        help_text="Missing 1-minute candles inside the range: count, minutes, longest, every gap.",
    )
    error = models.TextField(blank=True)
    # Measured by the services whenever they write the folder: the list page reads no files.
    disk_bytes = models.BigIntegerField(
        default=0, help_text="Bytes under the epoch's folder when its files last changed."
    )

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)

    # Every epoch parameter (epochs.engine.epoch_params.PARAMS) is a column, added below; their
    # types, declared here for the type checker (no attribute at run time), follow each kind.
    seed: int
    epoch_width: int
    sma_window_size: int
    train_split: float
    validation_split: float
    regression_lookback: int
    regression_predictions: int
    exchange_fee: float
    position_size: float
    leverage: int
    idle_minutes_on_position_close: int
    prediction_interval: int
    data_end: int | None
    purge: bool
    holdout_share: float
    max_gap_minutes: int
    min_positions: int
    regression_grid_profile: str
    max_epochs: int
    patience: int
    batch_size: int
    price_change_requirements: list[float]
    min_sum_functions: list[str]
    min_sum_adjustment_factors: list[float]
    regressions_per_model: list[int]
    min_accuracy: float
    min_profit: float
    ranking: str
    null_baseline_seeds: int

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

    # --- status transitions (each a conditional update: see core.transitions) -----
    def mark_creating(self) -> bool:
        """(Re)build its folder: never once exported, Epoca holds that one."""
        return transition(
            self, EpochStatus.CREATING, error="", sources=(EpochStatus.CREATING, EpochStatus.FAILED, EpochStatus.READY)
        )

    def mark_ready(self, **computed) -> bool:
        """The folder is built: ``computed`` holds what creation derived (range, bounds, fingerprint)."""
        return transition(self, EpochStatus.READY, error="", sources=(EpochStatus.CREATING,), **computed)

    def mark_failed(self, *, error: str) -> bool:
        return transition(self, EpochStatus.FAILED, error=error, sources=(EpochStatus.CREATING,))

    def mark_exported(self) -> bool:
        return transition(self, EpochStatus.EXPORTED, sources=(EpochStatus.READY, EpochStatus.EXPORTED))

    def mark_export_withdrawn(self) -> bool:
        return transition(self, EpochStatus.READY, sources=(EpochStatus.EXPORTED,))


for _param in PARAMS:
    Epoch.add_to_class(_param.name, param_field(_param))
