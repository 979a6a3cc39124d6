import django_filters

from core.filters import StrictFilterSet
from prediction_models.engine.metrics import MODEL_METRICS
from prediction_models.models import PredictionModel, PredictionModelSearch, ProfitableConfig


def metric_minimum_filters() -> dict[str, django_filters.Filter]:
    """``min_<column>`` for every metric the model lists filter by (prediction_models.engine.metrics)."""
    return {
        f"min_{m.column}": django_filters.NumberFilter(field_name=m.column, lookup_expr="gte", label=m.minimum_filter)
        for m in MODEL_METRICS
        if m.minimum_filter
    }


def with_metric_minimums(filterset: type) -> type:
    """``filterset`` with the metric filters added (its metaclass collects them as declared filters)."""
    return type(filterset)(
        filterset.__name__, (filterset,), {"__module__": filterset.__module__, **metric_minimum_filters()}
    )


class SearchFilterSet(StrictFilterSet):
    epoch = django_filters.CharFilter(field_name="epoch_id")

    class Meta:
        model = PredictionModelSearch
        fields = ["epoch", "selection", "status"]


class ProfitableConfigFilterSet(StrictFilterSet):
    epoch = django_filters.CharFilter(field_name="search__epoch_id")
    min_accuracy = django_filters.NumberFilter(field_name="accuracy", lookup_expr="gte")
    min_profit = django_filters.NumberFilter(field_name="profit", lookup_expr="gte")

    class Meta:
        model = ProfitableConfig
        fields = ["search", "epoch", "min_sum_function", "price_change_requirement"]


@with_metric_minimums
class PredictionModelFilterSet(StrictFilterSet):
    epoch = django_filters.CharFilter(field_name="search__epoch_id")

    class Meta:
        model = PredictionModel
        fields = ["search", "epoch"]
