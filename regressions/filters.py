import django_filters

from core.filters import StrictFilterSet
from regressions.models import Regression, RegressionConfig, RegressionSelection, TrainingBatch


class TrainingBatchFilterSet(StrictFilterSet):
    epoch = django_filters.CharFilter(field_name="epoch_id")

    class Meta:
        model = TrainingBatch
        fields = ["epoch", "category", "name", "profile"]


class RegressionFilterSet(StrictFilterSet):
    epoch = django_filters.CharFilter(field_name="epoch_id")
    batch = django_filters.CharFilter(field_name="config__batch__name")
    category = django_filters.CharFilter(field_name="config__category")
    template = django_filters.CharFilter(field_name="config__template")
    min_accuracy = django_filters.NumberFilter(field_name="accuracy", lookup_expr="gte")
    max_accuracy = django_filters.NumberFilter(field_name="accuracy", lookup_expr="lte")
    min_points = django_filters.NumberFilter(field_name="points", lookup_expr="gte")
    max_points = django_filters.NumberFilter(field_name="points", lookup_expr="lte")
    min_ebe_points = django_filters.NumberFilter(field_name="ebe_points", lookup_expr="gte")
    max_ebe_points = django_filters.NumberFilter(field_name="ebe_points", lookup_expr="lte")
    ebe_state = django_filters.ChoiceFilter(
        choices=[(state, state) for state in ("optimal", "decent", "neutral", "warning", "error")]
    )
    min_test_loss = django_filters.NumberFilter(field_name="test_loss", lookup_expr="gte")
    max_test_loss = django_filters.NumberFilter(field_name="test_loss", lookup_expr="lte")
    min_best_epoch = django_filters.NumberFilter(field_name="best_epoch", lookup_expr="gte")
    max_best_epoch = django_filters.NumberFilter(field_name="best_epoch", lookup_expr="lte")
    min_training_seconds = django_filters.NumberFilter(field_name="training_seconds", lookup_expr="gte")
    max_training_seconds = django_filters.NumberFilter(field_name="training_seconds", lookup_expr="lte")
    min_increase_num = django_filters.NumberFilter(field_name="increase_num", lookup_expr="gte")
    min_decrease_num = django_filters.NumberFilter(field_name="decrease_num", lookup_expr="gte")

    class Meta:
        model = Regression
        fields = ["epoch", "status", "batch", "category", "template"]


class RegressionConfigFilterSet(StrictFilterSet):
    epoch = django_filters.CharFilter(field_name="epoch_id")
    batch = django_filters.CharFilter(field_name="batch__name")

    class Meta:
        model = RegressionConfig
        fields = ["epoch", "batch", "category", "template", "loss", "learning_rate"]


class RegressionSelectionFilterSet(StrictFilterSet):
    epoch = django_filters.CharFilter(field_name="epoch_id")

    class Meta:
        model = RegressionSelection
        fields = ["epoch", "mode", "name"]
