from django.urls import reverse
from rest_framework import serializers

from core.fields import MAX_NOTE_CHARS, BoundedDictField, object_id
from epochs.engine.epoch_file_contract import MODEL_ID_MAX, MODEL_ID_MIN
from epochs.engine.epoch_params import ID_MAX_LENGTH
from regressions.choices import SelectionMode
from regressions.models import Regression, RegressionConfig, RegressionSelection, TrainingBatch

MAX_SELECTION = 1000  # regressions in one selection


class TrainingBatchSerializer(serializers.ModelSerializer):
    configs_count = serializers.IntegerField(read_only=True)
    trained_count = serializers.IntegerField(read_only=True)
    failed_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = TrainingBatch
        fields = [
            "id",
            "epoch",
            "name",
            "category",
            "number",
            "total",
            "profile",
            "config_file",
            "batched_certificate_file",
            "configs_count",
            "trained_count",
            "failed_count",
            "created",
        ]
        read_only_fields = fields


class RegressionConfigSerializer(serializers.ModelSerializer):
    batch = serializers.CharField(source="batch.name", read_only=True)

    class Meta:
        model = RegressionConfig
        fields = [
            "id",
            "epoch",
            "batch",
            "position",
            "category",
            "template",
            "learning_rate",
            "loss",
            "metric",
            "config",
        ]
        read_only_fields = fields


class RegressionSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="config_id", read_only=True)
    batch = serializers.CharField(source="config.batch.name", read_only=True)
    category = serializers.CharField(source="config.category", read_only=True)
    template = serializers.CharField(source="config.template", read_only=True)
    learning_rate = serializers.FloatField(source="config.learning_rate", read_only=True)
    loss = serializers.CharField(source="config.loss", read_only=True)
    keras_model = serializers.JSONField(source="config.config.keras_model", read_only=True)
    url = serializers.SerializerMethodField(help_text="This regression in the API.")
    page_url = serializers.SerializerMethodField(help_text="Its page.")
    certificate_url = serializers.SerializerMethodField(help_text="Its certificate (Epoca's JSON, unchanged).")
    ebe_url = serializers.SerializerMethodField(help_text="Its EBE breakdown.")

    class Meta:
        model = Regression
        fields = [
            "id",
            "epoch",
            "batch",
            "category",
            "template",
            "learning_rate",
            "loss",
            "keras_model",
            "status",
            "test_mae",
            "test_mse",
            "test_loss",
            "accuracy",
            "increase_accuracy",
            "decrease_accuracy",
            "points",
            "increase_num",
            "decrease_num",
            "neutral_num",
            "best_epoch",
            "epochs_trained",
            "training_seconds",
            "certificate_sha256",
            "h5_sha256",
            "trained_at",
            "error",
            "ebe_points",
            "ebe_state",
            "url",
            "certificate_url",
            "ebe_url",
            "page_url",
        ]
        read_only_fields = fields

    def _absolute(self, path: str) -> str:
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path

    def get_url(self, regression) -> str:
        return self._absolute(
            reverse("regression-certificate", args=[regression.config_id]).removesuffix("certificate/")
        )

    def get_page_url(self, regression) -> str:
        return self._absolute(reverse("regression-detail", args=[regression.config_id]))

    def get_certificate_url(self, regression) -> str | None:
        trained = regression.status == "trained"
        return self._absolute(reverse("regression-certificate", args=[regression.config_id])) if trained else None

    def get_ebe_url(self, regression) -> str | None:
        trained = regression.status == "trained"
        return self._absolute(reverse("regression-ebe", args=[regression.config_id])) if trained else None


class GenerateConfigsSerializer(serializers.Serializer):
    profile = serializers.CharField(required=False, max_length=64, help_text="Default: the epoch's grid profile.")


class TrainSerializer(serializers.Serializer):
    server = object_id(required=False, help_text="A cluster server id; default: a local worker.")


class RegressionSelectionSerializer(serializers.ModelSerializer):
    created_by = serializers.CharField(source="created_by.username", read_only=True, default=None, allow_null=True)

    class Meta:
        model = RegressionSelection
        fields = [
            "id",
            "epoch",
            "name",
            "mode",
            "criteria",
            "size",
            "ranking",
            "regression_ids",
            "note",
            "created_by",
            "created",
        ]
        read_only_fields = ["ranking", "created_by", "created"]


class RegressionSelectionCreateSerializer(serializers.Serializer):
    epoch = serializers.CharField(max_length=ID_MAX_LENGTH)
    name = serializers.CharField(max_length=100)
    mode = serializers.ChoiceField(choices=SelectionMode.choices, default=SelectionMode.TOP_N)
    size = serializers.IntegerField(min_value=1, max_value=MAX_SELECTION, default=20)
    criteria = BoundedDictField(required=False)
    regression_ids = serializers.ListField(
        child=serializers.CharField(min_length=MODEL_ID_MIN, max_length=MODEL_ID_MAX),
        required=False,
        max_length=MAX_SELECTION,
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=MAX_NOTE_CHARS)


class TrainingHistorySerializer(serializers.Serializer):
    """A regression's training history so far (see ``services.pages.training_history``)."""

    id = serializers.CharField()
    status = serializers.CharField()
    live = serializers.BooleanField(help_text="The regression is training: poll again for more epochs.")
    retraining = serializers.BooleanField(
        help_text="A trained regression that a running job trains again: the epochs are its next generation's, "
        "and its results stay the trained generation's until that one's files are complete."
    )
    epochs = serializers.IntegerField(help_text="Epochs finished.")
    max_epochs = serializers.IntegerField(
        allow_null=True, help_text="The most epochs it may train (early stopping may end it sooner)."
    )
    best_epoch = serializers.IntegerField(allow_null=True, help_text="Counted from 1.")
    history = serializers.DictField(
        child=serializers.ListField(child=serializers.FloatField(allow_null=True)),
        help_text="loss, val_loss, the metric and val_<metric>, one value per finished epoch (null: not a number).",
    )
