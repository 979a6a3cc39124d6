"""Input checks for the epoch and candle pages (the API has its own serializers)."""
from django import forms

from epochs.choices import EpochPreset, PredictionInterval


class CandleImportForm(forms.Form):
    start_month = forms.RegexField(regex=r"^\d{4}-\d{2}$", initial="2020-01", help_text="YYYY-MM")
    end_month = forms.RegexField(regex=r"^\d{4}-\d{2}$", initial="2024-12", help_text="YYYY-MM")
    source = forms.CharField(required=False, help_text="Empty: the configured source (Binance, or a local folder).")


class EpochCreateForm(forms.Form):
    id = forms.CharField(max_length=100, help_text="e.g. _EROS3: '_' + upper case, 4-100 characters")
    preset = forms.ChoiceField(choices=EpochPreset.choices)
    epoch_width = forms.IntegerField(min_value=1, max_value=80, initial=48, help_text="months")
    prediction_interval = forms.TypedChoiceField(choices=PredictionInterval.choices, coerce=int, initial=15)
    seed = forms.IntegerField(initial=60184)
    sma_window_size = forms.IntegerField(initial=25, label="SMA window size")
    train_split = forms.FloatField(initial=0.75)
    validation_split = forms.FloatField(initial=0.2)
    regression_lookback = forms.IntegerField(initial=128)
    regression_predictions = forms.IntegerField(initial=32)
    exchange_fee = forms.FloatField(initial=0.065)
    position_size = forms.FloatField(initial=10000)
    leverage = forms.IntegerField(initial=3)
    idle_minutes_on_position_close = forms.IntegerField(initial=180)
    regression_grid_profile = forms.CharField(initial="original")
    max_gap_minutes = forms.IntegerField(initial=1440, min_value=0, help_text="refuse a longer gap in the candles (minutes)")
