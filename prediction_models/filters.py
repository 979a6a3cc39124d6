import django_filters

from core.filters import StrictFilterSet
from prediction_models.models import PredictionModel, PredictionModelSearch, ProfitableConfig


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


class PredictionModelFilterSet(StrictFilterSet):
    epoch = django_filters.CharFilter(field_name="search__epoch_id")
    min_accuracy = django_filters.NumberFilter(field_name="accuracy", lookup_expr="gte")
    min_profit = django_filters.NumberFilter(field_name="profit", lookup_expr="gte")
    min_holdout_profit = django_filters.NumberFilter(field_name="holdout_profit", lookup_expr="gte")

    class Meta:
        model = PredictionModel
        fields = ["search", "epoch"]
