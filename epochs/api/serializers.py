from rest_framework import serializers

from core.fields import MAX_NOTE_CHARS, MAX_PATH_CHARS, MAX_TIME_MS, StrictBooleanField
from epochs.choices import EpochPreset
from epochs.engine.candles import PREDICTION_INTERVALS_MINUTES
from epochs.engine.epoch_file_contract import MODEL_ID_MAX, MODEL_ID_MIN
from epochs.engine.epoch_params import ID_MAX_LENGTH, ID_MIN_LENGTH, RANGES
from epochs.models import CandlestickSet, Epoch, EpochExport

REGRESSIONS_PER_MODEL = [4, 8, 16]  # EPOCA_CONTRACT §1.5
MAX_SPACE_VALUES = 100  # values per list of the prediction-model config space


class CandlestickSetSerializer(serializers.ModelSerializer):
    class Meta:
        model = CandlestickSet
        fields = [
            "id", "name", "symbol", "source", "first_open_time", "last_close_time", "candles", "months", "gap_count",
            "gap_minutes", "longest_gap_minutes", "flagged_candles", "report", "last_import", "created",
        ]
        read_only_fields = fields


class CandleImportSerializer(serializers.Serializer):
    start_month = serializers.RegexField(r"^\d{4}-\d{2}$", max_length=7)
    end_month = serializers.RegexField(r"^\d{4}-\d{2}$", max_length=7)
    source = serializers.CharField(required=False, allow_blank=True, max_length=MAX_PATH_CHARS,
                                   help_text="Base URL or local folder; default: the configured source.")
    name = serializers.SlugField(required=False, default="binance-btcusdt", max_length=100)


class BundleImportSerializer(serializers.Serializer):
    path = serializers.CharField(max_length=MAX_PATH_CHARS, help_text="A candlesticks/ folder or its zip, on the server.")
    name = serializers.SlugField(max_length=100)


class EpochSerializer(serializers.ModelSerializer):
    candlestick_set = serializers.SlugRelatedField(slug_field="name", read_only=True)

    class Meta:
        model = Epoch
        exclude = []
        read_only_fields = [
            "status", "start", "end", "test_ds_start", "test_ds_end", "highest_price_sma", "lowest_price_sma",
            "prediction_rows", "data_fingerprint", "error", "created_by", "created", "candlestick_set", "gaps",
        ]


def _ranged(name: str, **kwargs):
    """The field of an epoch parameter with the range the engine accepts (epoch_params.RANGES)."""
    kind, low, high = RANGES[name]
    field = serializers.IntegerField if kind is int else serializers.FloatField
    return field(required=False, min_value=low, max_value=high, **kwargs)


class EpochCreateSerializer(serializers.Serializer):
    """Input only: every field is checked again by the service, which reports all problems."""

    id = serializers.CharField(min_length=ID_MIN_LENGTH, max_length=ID_MAX_LENGTH)
    candlestick_set = serializers.SlugField(required=False, default="binance-btcusdt", max_length=100)
    preset = serializers.ChoiceField(choices=EpochPreset.choices, required=False)
    seed = _ranged("seed")
    epoch_width = _ranged("epoch_width")
    sma_window_size = _ranged("sma_window_size")
    train_split = _ranged("train_split")
    validation_split = _ranged("validation_split")
    regression_lookback = _ranged("regression_lookback")
    regression_predictions = _ranged("regression_predictions")
    exchange_fee = _ranged("exchange_fee")
    position_size = _ranged("position_size")
    leverage = _ranged("leverage")
    idle_minutes_on_position_close = _ranged("idle_minutes_on_position_close")
    prediction_interval = serializers.ChoiceField(choices=list(PREDICTION_INTERVALS_MINUTES), required=False)
    data_end = serializers.IntegerField(required=False, min_value=0, max_value=MAX_TIME_MS, help_text="A time in ms.")
    purge = serializers.BooleanField(required=False)
    holdout_share = serializers.FloatField(required=False, min_value=0, max_value=0.5)
    max_gap_minutes = serializers.IntegerField(required=False, min_value=0, max_value=100_000,
                                               help_text="Refuse a longer gap inside the range (minutes, default 1440).")
    regression_grid_profile = serializers.CharField(required=False, max_length=64)
    max_epochs = serializers.IntegerField(required=False, min_value=1, max_value=100_000)
    patience = serializers.IntegerField(required=False, min_value=1, max_value=100_000)
    batch_size = serializers.IntegerField(required=False, min_value=1, max_value=1_000_000)
    price_change_requirements = serializers.ListField(child=serializers.FloatField(min_value=0, max_value=100), required=False,
                                                      min_length=1, max_length=MAX_SPACE_VALUES)
    min_sum_functions = serializers.ListField(child=serializers.ChoiceField(["mean", "median"]), required=False,
                                              min_length=1, max_length=2)
    min_sum_adjustment_factors = serializers.ListField(child=serializers.FloatField(min_value=0, max_value=100),
                                                       required=False, min_length=1, max_length=MAX_SPACE_VALUES)
    regressions_per_model = serializers.ListField(child=serializers.ChoiceField(REGRESSIONS_PER_MODEL), required=False,
                                                  min_length=1, max_length=len(REGRESSIONS_PER_MODEL),
                                                  help_text="Epoca's models hold 4, 8 or 16 regressions.")
    min_accuracy = serializers.FloatField(required=False, min_value=0, max_value=100)
    min_profit = serializers.FloatField(required=False, min_value=-1e12, max_value=1e12)


class EpochDeleteQuerySerializer(serializers.Serializer):
    with_dependants = StrictBooleanField(required=False, default=False)


class EpochExportSerializer(serializers.ModelSerializer):
    file_name = serializers.CharField(read_only=True)

    class Meta:
        model = EpochExport
        fields = ["id", "epoch", "prediction_model_id", "regression_ids", "file_name", "sha256", "size", "manifest",
                  "verified", "verification", "created_by", "created", "withdrawn_at", "withdrawn_by", "withdrawal_reason"]
        read_only_fields = fields


class ExportRequestSerializer(serializers.Serializer):
    prediction_model_id = serializers.CharField(min_length=MODEL_ID_MIN, max_length=MODEL_ID_MAX)
    confirm_interval = serializers.BooleanField(default=False, help_text="Export although the epoch's prediction candles are not 15 minutes (what Epoca feeds).")
    reexport = serializers.BooleanField(default=False, help_text="The earlier Epoch File of this epoch was never installed in Epoca: its ids may be exported again.")


class EpochFileUploadSerializer(serializers.Serializer):
    file = serializers.FileField(max_length=255, help_text="An Epoch File (<EPOCH_ID>.zip), ours or the original tool's.")


class ExportWithdrawSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=MAX_NOTE_CHARS, help_text="Why the export is withdrawn (recorded; the zip is kept).")
