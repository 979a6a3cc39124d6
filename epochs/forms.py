"""Input checks for the epoch and candle pages (the API has its own serializers)."""
from django import forms

from core.fields import MAX_PATH_CHARS
from epochs.choices import EpochPreset, PredictionInterval
from epochs.engine.epoch_params import ID_MAX_LENGTH, ID_MIN_LENGTH, RANGES


def _ranged(name: str, **kwargs):
    """The field of an epoch parameter with the range the engine accepts (epoch_params.RANGES)."""
    kind, low, high = RANGES[name]
    field = forms.IntegerField if kind is int else forms.FloatField
    return field(min_value=low, max_value=high, **kwargs)


class CandleImportForm(forms.Form):
    start_month = forms.RegexField(regex=r"^\d{4}-\d{2}$", max_length=7, initial="2020-01", help_text="YYYY-MM")
    end_month = forms.RegexField(regex=r"^\d{4}-\d{2}$", max_length=7, initial="2024-12", help_text="YYYY-MM")
    source = forms.CharField(required=False, max_length=MAX_PATH_CHARS, help_text="Empty: the configured source (Binance, or a local folder).")


class EpochCreateForm(forms.Form):
    id = forms.CharField(min_length=ID_MIN_LENGTH, max_length=ID_MAX_LENGTH, help_text="e.g. _EROS3: '_' + upper case, 4-100 characters")
    preset = forms.ChoiceField(choices=EpochPreset.choices)
    epoch_width = forms.IntegerField(min_value=1, max_value=80, initial=48, help_text="months")
    prediction_interval = forms.TypedChoiceField(choices=PredictionInterval.choices, coerce=int, initial=15)
    seed = _ranged("seed", initial=60184)
    sma_window_size = _ranged("sma_window_size", initial=25, label="SMA window size")
    train_split = _ranged("train_split", initial=0.75)
    validation_split = _ranged("validation_split", initial=0.2)
    regression_lookback = _ranged("regression_lookback", initial=128)
    regression_predictions = _ranged("regression_predictions", initial=32)
    exchange_fee = _ranged("exchange_fee", initial=0.065)
    position_size = _ranged("position_size", initial=10000)
    leverage = _ranged("leverage", initial=3)
    idle_minutes_on_position_close = _ranged("idle_minutes_on_position_close", initial=180)
    regression_grid_profile = forms.CharField(initial="original", max_length=64)
    max_gap_minutes = forms.IntegerField(initial=1440, min_value=0, max_value=100_000, help_text="refuse a longer gap in the candles (minutes)")
