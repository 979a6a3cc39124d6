from rest_framework import serializers

from epochs.models import CandlestickSet, Epoch, EpochExport


class CandlestickSetSerializer(serializers.ModelSerializer):
    class Meta:
        model = CandlestickSet
        fields = [
            "id", "name", "symbol", "source", "first_open_time", "last_close_time", "candles", "months", "gap_count",
            "gap_minutes", "longest_gap_minutes", "flagged_candles", "report", "last_import", "created",
        ]
        read_only_fields = fields


class CandleImportSerializer(serializers.Serializer):
    start_month = serializers.RegexField(r"^\d{4}-\d{2}$")
    end_month = serializers.RegexField(r"^\d{4}-\d{2}$")
    source = serializers.CharField(required=False, allow_blank=True, help_text="Base URL or local folder; default: the configured source.")
    name = serializers.SlugField(required=False, default="binance-btcusdt")


class BundleImportSerializer(serializers.Serializer):
    path = serializers.CharField(help_text="A candlesticks/ folder or its zip, on the server.")
    name = serializers.SlugField()


class EpochSerializer(serializers.ModelSerializer):
    candlestick_set = serializers.SlugRelatedField(slug_field="name", read_only=True)

    class Meta:
        model = Epoch
        exclude = []
        read_only_fields = [
            "status", "start", "end", "test_ds_start", "test_ds_end", "highest_price_sma", "lowest_price_sma",
            "prediction_rows", "data_fingerprint", "error", "created_by", "created", "candlestick_set", "gaps",
        ]


class EpochCreateSerializer(serializers.Serializer):
    """Input only: every field is checked again by the service, which reports all problems."""

    id = serializers.CharField(max_length=100)
    candlestick_set = serializers.SlugField(required=False, default="binance-btcusdt")
    preset = serializers.CharField(required=False)
    seed = serializers.IntegerField(required=False)
    epoch_width = serializers.IntegerField(required=False)
    sma_window_size = serializers.IntegerField(required=False)
    train_split = serializers.FloatField(required=False)
    validation_split = serializers.FloatField(required=False)
    regression_lookback = serializers.IntegerField(required=False)
    regression_predictions = serializers.IntegerField(required=False)
    exchange_fee = serializers.FloatField(required=False)
    position_size = serializers.FloatField(required=False)
    leverage = serializers.IntegerField(required=False)
    idle_minutes_on_position_close = serializers.IntegerField(required=False)
    prediction_interval = serializers.IntegerField(required=False)
    data_end = serializers.IntegerField(required=False)
    purge = serializers.BooleanField(required=False)
    holdout_share = serializers.FloatField(required=False)
    max_gap_minutes = serializers.IntegerField(required=False, help_text="Refuse a longer gap inside the range (minutes, default 1440).")
    regression_grid_profile = serializers.CharField(required=False)
    max_epochs = serializers.IntegerField(required=False)
    patience = serializers.IntegerField(required=False)
    batch_size = serializers.IntegerField(required=False)
    price_change_requirements = serializers.ListField(child=serializers.FloatField(), required=False)
    min_sum_functions = serializers.ListField(child=serializers.ChoiceField(["mean", "median"]), required=False)
    min_sum_adjustment_factors = serializers.ListField(child=serializers.FloatField(), required=False)
    regressions_per_model = serializers.ListField(child=serializers.IntegerField(min_value=2), required=False)
    min_accuracy = serializers.FloatField(required=False)
    min_profit = serializers.FloatField(required=False)


class EpochExportSerializer(serializers.ModelSerializer):
    file_name = serializers.CharField(read_only=True)

    class Meta:
        model = EpochExport
        fields = ["id", "epoch", "prediction_model_id", "regression_ids", "file_name", "sha256", "size", "manifest",
                  "verified", "verification", "created_by", "created", "withdrawn_at", "withdrawn_by", "withdrawal_reason"]
        read_only_fields = fields


class ExportRequestSerializer(serializers.Serializer):
    prediction_model_id = serializers.CharField(max_length=200)
    confirm_interval = serializers.BooleanField(default=False, help_text="Export although the epoch's prediction candles are not 15 minutes (what Epoca feeds).")
    reexport = serializers.BooleanField(default=False, help_text="The earlier Epoch File of this epoch was never installed in Epoca: its ids may be exported again.")


class EpochFileUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="An Epoch File (<EPOCH_ID>.zip), ours or the original tool's.")


class ExportWithdrawSerializer(serializers.Serializer):
    reason = serializers.CharField(help_text="Why the export is withdrawn (recorded; the zip is kept).")
