from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.fields import object_id
from epochs.api.serializers import param_serializer_field
from epochs.engine.epoch_params import PARAM
from prediction_models.engine.metrics import MODEL_METRICS, SEARCH_MINIMUMS
from prediction_models.models import ForwardTest, PredictionModel, PredictionModelSearch, ProfitableConfig
from prediction_models.selectors import latest_forward_test
from prediction_models.services.files import forward_test_record
from prediction_models.services.verdicts import model_verdict


class SearchSerializer(serializers.ModelSerializer):
    created_by = serializers.CharField(source="created_by.username", read_only=True, default=None, allow_null=True)
    chunks_total = serializers.SerializerMethodField()
    chunks_done = serializers.SerializerMethodField()
    configs_per_second = serializers.SerializerMethodField()

    class Meta:
        model = PredictionModelSearch
        fields = [
            "id",
            "epoch",
            "selection",
            "status",
            "regression_ids",
            "regressions_per_model",
            "price_change_requirements",
            "min_sum_functions",
            "min_sum_adjustment_factors",
            *(b.name for b in SEARCH_MINIMUMS),
            "ranking",
            "null_baseline_seeds",
            "null_baseline",
            "total_configs",
            "chunk_size",
            "chunks_total",
            "chunks_done",
            "configs_evaluated",
            "profitable_found",
            "search_seconds",
            "configs_per_second",
            "assets_sha256",
            "overfitting",
            "error",
            "created_by",
            "created",
        ]
        read_only_fields = fields

    def get_chunks_total(self, search) -> int:
        return search.chunks.count()

    def get_chunks_done(self, search) -> int:
        return search.chunks.filter(done=True).count()

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_configs_per_second(self, search) -> float | None:
        return round(search.configs_evaluated / search.search_seconds, 1) if search.search_seconds else None


class SearchCreateSerializer(serializers.Serializer):
    selection = object_id(help_text="A regression selection id.")
    regressions_per_model = param_serializer_field(PARAM["regressions_per_model"])  # default: the epoch's setting
    chunk_size = serializers.IntegerField(min_value=1, max_value=10_000_000, default=20_000)


class BuildSerializer(serializers.Serializer):
    limit = serializers.IntegerField(min_value=1, max_value=1000, default=10)


class ExportAssetsSerializer(serializers.Serializer):
    files = serializers.ListField(child=serializers.CharField())


class ProfitableConfigSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProfitableConfig
        fields = [
            "id",
            "search",
            "config_index",
            "regression_ids",
            "price_change_requirement",
            "min_sum_function",
            "min_sum_adjustment_factor",
            "profit",
            "accuracy",
            "positions",
            "largest_drawdown",
            "final_balance",
        ]
        read_only_fields = fields


class PredictionModelSerializer(serializers.ModelSerializer):
    epoch = serializers.CharField(source="search.epoch_id", read_only=True)
    regression_ids = serializers.JSONField(source="profitable_config.regression_ids", read_only=True)
    certificate_url = serializers.SerializerMethodField(help_text="Its certificate (Epoca's JSON, unchanged).")
    ebe_url = serializers.SerializerMethodField(help_text="Its EBE breakdown.")
    page_url = serializers.SerializerMethodField(help_text="Its page.")
    no_losses = serializers.SerializerMethodField(help_text="True when no position lost: profit_factor is then null.")
    verdict = serializers.SerializerMethodField(
        help_text='Each check {check, value, threshold, passed}: passed is true, false or "not available".'
    )
    latest_forward_test = serializers.SerializerMethodField(
        help_text="The most recently run forward test that is done (id, start, end in ms, profit, accuracy, positions), or null."
    )

    class Meta:
        model = PredictionModel
        fields = [
            "id",
            "epoch",
            "search",
            "profitable_config",
            "rank",
            "regression_ids",
            "certificate_file",
            *(m.column for m in MODEL_METRICS),
            "created",
            "ebe_state",
            "certificate_url",
            "ebe_url",
            "page_url",
            "no_losses",
            "positions_fingerprint",
            "deflated_sharpe",
            "verdict",
            "latest_forward_test",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.DictField(allow_null=True))
    def get_latest_forward_test(self, model) -> dict | None:
        test = latest_forward_test(model)
        if test is None:
            return None
        return {f: getattr(test, f) for f in ("id", "start", "end", "profit", "accuracy", "positions")}

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def get_verdict(self, model) -> list[dict]:
        return model_verdict(model)

    def get_no_losses(self, model) -> bool:
        return model.profit_factor is None and model.positions > 0

    def _absolute(self, path: str) -> str:
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path

    def get_certificate_url(self, model) -> str:
        return self._absolute(reverse("prediction-model-certificate", args=[model.id]))

    def get_ebe_url(self, model) -> str:
        return self._absolute(reverse("prediction-model-ebe", args=[model.id]))

    def get_page_url(self, model) -> str:
        return self._absolute(reverse("prediction-model-detail", args=[model.id]))


class ForwardTestCreateSerializer(serializers.Serializer):
    start = serializers.CharField(help_text="First month or day (UTC), YYYY-MM or YYYY-MM-DD; after the epoch's end.")
    end = serializers.CharField(help_text="Last month or day (UTC), YYYY-MM or YYYY-MM-DD.")


class ForwardTestSerializer(serializers.ModelSerializer):
    """A forward test's summary; ``record`` (when done) holds discovery, backtest and metrics."""

    record = serializers.SerializerMethodField()

    class Meta:
        model = ForwardTest
        fields = [
            "id",
            "prediction_model",
            "start",
            "end",
            "status",
            "decisions",
            "refused_rows",
            "profit",
            "accuracy",
            "positions",
            "buy_and_hold",
            "error",
            "created",
            "record",
        ]
        read_only_fields = fields

    def get_record(self, obj) -> dict | None:
        return forward_test_record(obj)
