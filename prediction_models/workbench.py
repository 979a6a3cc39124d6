"""The prediction-models list: every built model, selection and holdout side by side, duplicates marked."""

from __future__ import annotations

from collections import defaultdict

import django_filters
from django.core.paginator import Paginator
from django.db.models import F

from prediction_models.engine.metrics import SORTABLE_COLUMNS
from prediction_models.filters import with_metric_minimums
from prediction_models.models import PredictionModel

SORTS = {column: column for column in (*SORTABLE_COLUMNS, "rank", "created")}
DEFAULT_SORT = "-ebe_points"
PAGE_SIZE = 50


@with_metric_minimums
class ModelListFilterSet(django_filters.FilterSet):
    epoch = django_filters.CharFilter(field_name="search__epoch_id")
    search = django_filters.NumberFilter(field_name="search_id")

    class Meta:
        model = PredictionModel
        fields: list[str] = []


def duplicates_of(models) -> dict[str, list[str]]:
    """For each model given, the ids of the other built models with the same positions (one query)."""
    fingerprints = {m.positions_fingerprint for m in models if m.positions_fingerprint}
    groups: dict[str, list[str]] = defaultdict(list)
    for mid, fingerprint in (
        PredictionModel.objects.filter(positions_fingerprint__in=fingerprints)
        .values_list("id", "positions_fingerprint")
        .order_by("id")
    ):
        groups[fingerprint].append(mid)
    return {m.id: [other for other in groups.get(m.positions_fingerprint, []) if other != m.id] for m in models}


def model_list_page(params):
    filterset = ModelListFilterSet(params, queryset=PredictionModel.objects.select_related("search"))
    sort = params.get("sort") or DEFAULT_SORT
    sort = sort if sort.lstrip("-") in SORTS else DEFAULT_SORT
    column = SORTS[sort.lstrip("-")]
    order = F(column).desc(nulls_last=True) if sort.startswith("-") else F(column).asc(nulls_last=True)
    queryset = filterset.qs.order_by(order, "id") if filterset.is_valid() else PredictionModel.objects.none()
    page = Paginator(queryset, PAGE_SIZE).get_page(params.get("page"))
    rows = list(page.object_list)
    return filterset, sort, page, rows, duplicates_of(rows)
