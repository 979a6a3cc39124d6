"""The regressions leaderboard: every regression of an epoch (or of all), filtered, sorted and paged in the database.

Hyper-parameters live in each config's JSON; the filters and sort keys reach into it, so the
page reads one page of rows whatever the grid's size.
"""

from __future__ import annotations

import json

import django_filters
from django.core.paginator import Paginator
from django.db.models import Count, F, QuerySet
from django.db.models.fields.json import KeyTextTransform, KeyTransform

from regressions.choices import Category, RegressionStatus
from regressions.engine.families import network_names
from regressions.models import Regression

PAGE_SIZES = (25, 50, 100, 200)
NETWORKS = network_names()

# sort key (as in the URL) -> the column it orders by; a leading "-" in the URL sorts descending.
SORTS = {
    "id": "config_id",
    "batch": "config__batch__name",
    "category": "config__category",
    "network": "config__template",
    "status": "status",
    "learning_rate": "config__learning_rate",
    "loss": "config__loss",
    "metric": "config__metric",
    "optimizer": "optimizer",
    "units": "units",
    "filters": "filters",
    "kernel_sizes": "kernel_sizes",
    "pool_sizes": "pool_sizes",
    "activations": "activations",
    "ebe_points": "ebe_points",
    "accuracy": "accuracy",
    "increase_accuracy": "increase_accuracy",
    "decrease_accuracy": "decrease_accuracy",
    "points": "points",
    "test_loss": "test_loss",
    "test_mae": "test_mae",
    "test_mse": "test_mse",
    "increase_num": "increase_num",
    "decrease_num": "decrease_num",
    "best_epoch": "best_epoch",
    "epochs_trained": "epochs_trained",
    "training_seconds": "training_seconds",
}
DEFAULT_SORT = "-ebe_points"
HYPER_PARAMETERS = ("units", "filters", "kernel_sizes", "pool_sizes", "activations")


def _list_filter(field: str):
    """``128,64`` matches the config whose list is exactly [128, 64] (text: ``relu,tanh``)."""

    def apply(queryset, name, value):
        items = [v.strip() for v in value.split(",") if v.strip()]
        parsed = [int(v) if v.lstrip("-").isdigit() else v for v in items]
        return queryset.filter(**{f"config__config__keras_model__{field}": parsed})

    return apply


class LeaderboardFilterSet(django_filters.FilterSet):
    epoch = django_filters.CharFilter(field_name="epoch_id")
    batch = django_filters.CharFilter(field_name="config__batch__name")
    category = django_filters.ChoiceFilter(field_name="config__category", choices=Category.choices)
    network = django_filters.CharFilter(field_name="config__template", label="Network (e.g. KR_CNN_S4)")
    depth = django_filters.ChoiceFilter(
        field_name="config__template",
        lookup_expr="endswith",
        label="Depth",
        choices=[(f"_S{n}", f"S{n}") for n in range(1, 6)],
    )
    status = django_filters.ChoiceFilter(choices=RegressionStatus.choices)
    learning_rate = django_filters.NumberFilter(field_name="config__learning_rate", label="Learning rate (-1: decay)")
    loss = django_filters.CharFilter(field_name="config__loss")
    optimizer = django_filters.CharFilter(field_name="config__config__optimizer")
    units = django_filters.CharFilter(method=_list_filter("units"), label="Units (e.g. 128,64)")
    filters = django_filters.CharFilter(method=_list_filter("filters"), label="Filters")
    kernel_sizes = django_filters.CharFilter(method=_list_filter("kernel_sizes"), label="Kernel sizes")
    pool_sizes = django_filters.CharFilter(method=_list_filter("pool_sizes"), label="Pool sizes")
    activations = django_filters.CharFilter(method=_list_filter("activations"), label="Activations")
    min_ebe_points = django_filters.NumberFilter(field_name="ebe_points", lookup_expr="gte", label="EBE points ≥")
    ebe_state = django_filters.CharFilter(label="EBE state")
    min_accuracy = django_filters.NumberFilter(field_name="accuracy", lookup_expr="gte", label="Accuracy ≥ (%)")
    min_points = django_filters.NumberFilter(field_name="points", lookup_expr="gte", label="Discovery points ≥")
    max_test_loss = django_filters.NumberFilter(field_name="test_loss", lookup_expr="lte", label="Test loss ≤")
    min_best_epoch = django_filters.NumberFilter(field_name="best_epoch", lookup_expr="gte", label="Best epoch ≥")
    max_best_epoch = django_filters.NumberFilter(field_name="best_epoch", lookup_expr="lte", label="Best epoch ≤")
    max_seconds = django_filters.NumberFilter(
        field_name="training_seconds", lookup_expr="lte", label="Training seconds ≤"
    )

    class Meta:
        model = Regression
        fields: list[str] = []


def leaderboard_queryset() -> QuerySet[Regression]:
    config = "config__config"
    return Regression.objects.select_related("config", "config__batch").annotate(
        optimizer=KeyTextTransform("optimizer", config),
        **{name: KeyTextTransform(name, KeyTransform("keras_model", config)) for name in HYPER_PARAMETERS},
    )


def sort_key(value: str | None) -> str:
    key = value or DEFAULT_SORT
    return key if key.lstrip("-") in SORTS else DEFAULT_SORT


def sorted_queryset(queryset: QuerySet[Regression], sort: str) -> QuerySet[Regression]:
    column = SORTS[sort.lstrip("-")]
    order = F(column).desc(nulls_last=True) if sort.startswith("-") else F(column).asc(nulls_last=True)
    return queryset.order_by(order, "config_id")


def leaderboard_page(params, *, page_size: int = 50):
    """The filter form, the sort key and one page of regressions for the query ``params``."""
    filterset = LeaderboardFilterSet(params, queryset=leaderboard_queryset())
    sort = sort_key(params.get("sort"))
    queryset = sorted_queryset(filterset.qs, sort) if filterset.is_valid() else Regression.objects.none()
    size = (
        int(params.get("size"))
        if str(params.get("size", "")).isdigit() and int(params["size"]) in PAGE_SIZES
        else page_size
    )
    page = Paginator(queryset, size).get_page(params.get("page"))
    return filterset, sort, page


def hyperparameter_groups(queryset: QuerySet[Regression]) -> list[dict]:
    """The filtered regressions counted per distinct hyper-parameter set, in the database (a few dozen rows)."""
    groups = (
        queryset.order_by()
        .values("config__template", "config__learning_rate", "config__loss", "optimizer", "units", "filters")
        .annotate(count=Count("config_id"))
    )
    return [
        {
            "template": g["config__template"],
            "learning_rate": g["config__learning_rate"],
            "loss": g["config__loss"],
            "optimizer": g["optimizer"],
            "units": json.loads(g["units"]) if g["units"] else [],
            "filters": json.loads(g["filters"]) if g["filters"] else [],
            "count": g["count"],
        }
        for g in groups
    ]
