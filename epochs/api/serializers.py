from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.fields import MAX_NOTE_CHARS, MAX_PATH_CHARS, StrictBooleanField
from core.times import iso_utc
from epochs.choices import EpochPreset
from epochs.engine.epoch_file_contract import MODEL_ID_MAX, MODEL_ID_MIN
from epochs.engine.epoch_params import ID_MAX_LENGTH, ID_MIN_LENGTH, PARAMS, Param
from epochs.models import CandlestickSet, Epoch, EpochExport


def _absolute(serializer: serializers.Serializer, path: str) -> str:
    """Absolute like the other objects' ``certificate_url`` (site-relative without a request)."""
    request = serializer.context.get("request")
    return request.build_absolute_uri(path) if request else path


@extend_schema_field({"type": "string", "format": "date-time", "nullable": True})
class IsoTimeField(serializers.ReadOnlyField):
    """The ISO 8601 (UTC) counterpart of a field in epoch milliseconds, which stays as it is."""

    def to_representation(self, value):
        return iso_utc(value)


# Documented once: the ms fields are the Epoca contract's values, the *_iso fields are for reading.
_ISO = "UTC ISO 8601 of `{0}` (which is in epoch milliseconds, the Epoca contract's unit)."


class CandlestickSetSerializer(serializers.ModelSerializer):
    first_open_time_iso = IsoTimeField(source="first_open_time", help_text=_ISO.format("first_open_time"))
    last_close_time_iso = IsoTimeField(source="last_close_time", help_text=_ISO.format("last_close_time"))

    class Meta:
        model = CandlestickSet
        fields = [
            "id",
            "name",
            "symbol",
            "source",
            "first_open_time",
            "last_close_time",
            "first_open_time_iso",
            "last_close_time_iso",
            "candles",
            "months",
            "gap_count",
            "gap_minutes",
            "longest_gap_minutes",
            "flagged_candles",
            "report",
            "last_import",
            "created",
        ]
        read_only_fields = fields


class CandleImportSerializer(serializers.Serializer):
    start_month = serializers.RegexField(r"^\d{4}-\d{2}$", max_length=7)
    end_month = serializers.RegexField(r"^\d{4}-\d{2}$", max_length=7)
    source = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=MAX_PATH_CHARS,
        help_text="Base URL or local folder; default: the configured source.",
    )
    name = serializers.SlugField(required=False, default="binance-btcusdt", max_length=100)


class BundleImportSerializer(serializers.Serializer):
    path = serializers.CharField(
        max_length=MAX_PATH_CHARS, help_text="A candlesticks/ folder or its zip, on the server."
    )
    name = serializers.SlugField(max_length=100)


class EpochSerializer(serializers.ModelSerializer):
    candlestick_set = serializers.SlugRelatedField(slug_field="name", read_only=True)
    start_iso = IsoTimeField(source="start", help_text=_ISO.format("start"))
    end_iso = IsoTimeField(source="end", help_text=_ISO.format("end"))
    test_ds_start_iso = IsoTimeField(source="test_ds_start", help_text=_ISO.format("test_ds_start"))
    test_ds_end_iso = IsoTimeField(source="test_ds_end", help_text=_ISO.format("test_ds_end"))
    download_url = serializers.SerializerMethodField(
        help_text="The latest Epoch File (`/api/epochs/<id>/download/`); null before the first export."
    )

    class Meta:
        model = Epoch
        exclude = []
        read_only_fields = [
            "status",
            "start",
            "end",
            "test_ds_start",
            "test_ds_end",
            "highest_price_sma",
            "lowest_price_sma",
            "prediction_rows",
            "data_fingerprint",
            "error",
            "created_by",
            "created",
            "candlestick_set",
            "gaps",
            "disk_bytes",
        ]
        extra_kwargs = {
            name: {
                "help_text": f"Epoch milliseconds (UTC), the Epoca contract's value as in epoch.json; `{name}_iso` reads it."
            }
            for name in ("start", "end", "test_ds_start", "test_ds_end")
        }

    def get_download_url(self, epoch) -> str | None:
        # ``has_export`` is annotated by the selector (no query per epoch); a bare epoch asks.
        exported = getattr(epoch, "has_export", None)
        if exported is None:
            exported = epoch.exports.exists()
        return _absolute(self, reverse("epoch-download", args=[epoch.pk])) if exported else None


def param_serializer_field(param: Param) -> serializers.Field:
    """The API field of an epoch parameter (optional: the service fills in the declared default)."""
    if param.kind is list:
        child = _scalar_field(param, param.item, {})
        return serializers.ListField(
            child=child, required=False, min_length=1, max_length=param.max_length, help_text=param.help
        )
    return _scalar_field(
        param,
        param.kind,
        {"required": False, "help_text": param.help, **({"allow_null": True} if param.nullable else {})},
    )


def _scalar_field(param: Param, kind: type | None, common: dict) -> serializers.Field:
    if param.choices:
        return serializers.ChoiceField(choices=list(param.choices), **common)
    if kind is bool:
        return serializers.BooleanField(**common)
    if kind is str:
        return serializers.CharField(max_length=param.max_length, **common)
    field = serializers.IntegerField if kind is int else serializers.FloatField
    return field(min_value=param.low, max_value=param.high, **common)


class EpochCreateSerializer(serializers.Serializer):
    """Input only: every field is checked again by the service, which reports all problems.

    The epoch parameters' fields come from their declaration (epochs.engine.epoch_params.PARAMS).
    """

    id = serializers.CharField(min_length=ID_MIN_LENGTH, max_length=ID_MAX_LENGTH)
    candlestick_set = serializers.SlugField(required=False, default="binance-btcusdt", max_length=100)
    preset = serializers.ChoiceField(choices=EpochPreset.choices, required=False)

    def get_fields(self):
        fields = super().get_fields()
        for param in PARAMS:
            fields[param.name] = param_serializer_field(param)
        return fields


class EpochDeleteQuerySerializer(serializers.Serializer):
    with_dependants = StrictBooleanField(required=False, default=False)


class EpochExportSerializer(serializers.ModelSerializer):
    file_name = serializers.CharField(read_only=True)
    download_url = serializers.SerializerMethodField(help_text="This Epoch File (`/api/epoch-exports/<id>/download/`).")

    class Meta:
        model = EpochExport
        fields = [
            "id",
            "epoch",
            "prediction_model_id",
            "regression_ids",
            "file_name",
            "sha256",
            "size",
            "manifest",
            "verified",
            "verification",
            "created_by",
            "created",
            "withdrawn_at",
            "withdrawn_by",
            "withdrawal_reason",
            "download_url",
        ]
        read_only_fields = fields

    def get_download_url(self, export) -> str:
        return _absolute(self, reverse("epoch-export-download", args=[export.pk]))


class ExportRequestSerializer(serializers.Serializer):
    prediction_model_id = serializers.CharField(min_length=MODEL_ID_MIN, max_length=MODEL_ID_MAX)
    confirm_interval = serializers.BooleanField(
        default=False, help_text="Export although the epoch's prediction candles are not 15 minutes (what Epoca feeds)."
    )
    reexport = serializers.BooleanField(
        default=False,
        help_text="The earlier Epoch File of this epoch was never installed in Epoca: its ids may be exported again.",
    )


class EpochFileUploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        max_length=255, help_text="An Epoch File (<EPOCH_ID>.zip), ours or the original tool's."
    )


class ExportWithdrawSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=MAX_NOTE_CHARS, help_text="Why the export is withdrawn (recorded; the zip is kept)."
    )
