import django_filters

from core.filters import StrictFilterSet
from prediction_models.engine.metrics import MODEL_METRICS
from prediction_models.models import PredictionModel, PredictionModelSearch, ProfitableConfig


def metric_minimum_filters(columns: set[str] | None = None) -> dict[str, django_filters.Filter]:
    """``min_<column>`` for every metric the lists filter by (prediction_models.engine.metrics),
    among ``columns`` when given (the fields of a model that keeps only some metrics)."""
    return {
        f"min_{m.column}": django_filters.NumberFilter(field_name=m.column, lookup_expr="gte", label=m.minimum_filter)
        for m in MODEL_METRICS
        if m.minimum_filter and (columns is None or m.column in columns)
    }


def with_metric_minimums(filterset: type) -> type:
    """``filterset`` with the metric filters of its model's metric columns added (its metaclass
    collects them as declared filters)."""
    columns = {field.name for field in filterset._meta.model._meta.get_fields()}
    return type(filterset)(
        filterset.__name__, (filterset,), {"__module__": filterset.__module__, **metric_minimum_filters(columns)}
    )


class SearchFilterSet(StrictFilterSet):
    epoch = django_filters.CharFilter(field_name="epoch_id")

    class Meta:
        model = PredictionModelSearch
        fields = ["epoch", "selection", "status"]


@with_metric_minimums
class ProfitableConfigFilterSet(StrictFilterSet):
    epoch = django_filters.CharFilter(field_name="search__epoch_id")

    class Meta:
        model = ProfitableConfig
        fields = ["search", "epoch", "min_sum_function", "price_change_requirement"]


@with_metric_minimums
class PredictionModelFilterSet(StrictFilterSet):
    epoch = django_filters.CharFilter(field_name="search__epoch_id")

    class Meta:
        model = PredictionModel
        fields = ["search", "epoch"]
