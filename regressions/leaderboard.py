"""The regressions leaderboard: every regression of an epoch (or of all), filtered, sorted and paged in the database.

Hyper-parameters live in each config's JSON; the filters and sort keys reach into it, so the
page reads one page of rows whatever the grid's size.
"""

from __future__ import annotations

import json

import django_filters
from django.core.paginator import Paginator
from django.db.models import Count, F, Max, Min, QuerySet
from django.db.models.fields.json import KeyTextTransform, KeyTransform

from regressions.choices import Category, RegressionStatus
from regressions.engine.ebe import STATES
from regressions.engine.families import network_names
from regressions.engine.training import LOSSES
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


def _at_least(field: str, label: str) -> django_filters.NumberFilter:
    return django_filters.NumberFilter(field_name=field, lookup_expr="gte", label=label)


def _at_most(field: str, label: str) -> django_filters.NumberFilter:
    return django_filters.NumberFilter(field_name=field, lookup_expr="lte", label=label)


class LeaderboardFilterSet(django_filters.FilterSet):
    epoch = django_filters.CharFilter(field_name="epoch_id", label="Epoch")
    batch = django_filters.CharFilter(field_name="config__batch__name", label="Batch")
    category = django_filters.ChoiceFilter(field_name="config__category", choices=Category.choices, label="Category")
    network = django_filters.CharFilter(field_name="config__template", label="Network (e.g. KR_CNN_S4)")
    depth = django_filters.ChoiceFilter(
        field_name="config__template",
        lookup_expr="endswith",
        label="Depth",
        choices=[(f"_S{n}", f"S{n}") for n in range(1, 6)],
    )
    status = django_filters.ChoiceFilter(choices=RegressionStatus.choices, label="Status")
    learning_rate = django_filters.NumberFilter(field_name="config__learning_rate", label="Learning rate (-1: decay)")
    loss = django_filters.ChoiceFilter(field_name="config__loss", choices=[(n, n) for n in LOSSES], label="Loss")
    optimizer = django_filters.CharFilter(field_name="config__config__optimizer", label="Optimizer (e.g. adam)")
    units = django_filters.CharFilter(method=_list_filter("units"), label="Units (e.g. 128,64)")
    filters = django_filters.CharFilter(method=_list_filter("filters"), label="Filters")
    kernel_sizes = django_filters.CharFilter(method=_list_filter("kernel_sizes"), label="Kernel sizes")
    pool_sizes = django_filters.CharFilter(method=_list_filter("pool_sizes"), label="Pool sizes")
    activations = django_filters.CharFilter(method=_list_filter("activations"), label="Activations")
    min_ebe_points = _at_least("ebe_points", "EBE points from")
    max_ebe_points = _at_most("ebe_points", "EBE points to")
    ebe_state = django_filters.ChoiceFilter(choices=[(state, state) for state in STATES], label="EBE state")
    metric = django_filters.ChoiceFilter(
        field_name="config__metric", choices=[(name, name) for name in LOSSES], label="Metric"
    )
    min_accuracy = _at_least("accuracy", "Accuracy from (%)")
    max_accuracy = _at_most("accuracy", "Accuracy to (%)")
    min_points = _at_least("points", "Discovery points from")
    max_points = _at_most("points", "Discovery points to")
    min_test_loss = _at_least("test_loss", "Test loss from")
    max_test_loss = _at_most("test_loss", "Test loss to")
    min_best_epoch = _at_least("best_epoch", "Best epoch from")
    max_best_epoch = _at_most("best_epoch", "Best epoch to")
    min_seconds = _at_least("training_seconds", "Training seconds from")
    max_seconds = _at_most("training_seconds", "Training seconds to")

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


# Columns that get Best and Worst badges: True when higher is better.
BADGED = {
    "ebe_points": True,
    "accuracy": True,
    "increase_accuracy": True,
    "decrease_accuracy": True,
    "points": True,
    "test_loss": False,
    "test_mae": False,
    "test_mse": False,
}


def column_extremes(queryset: QuerySet[Regression]) -> dict[str, dict[str, float | None]]:
    """The best and the worst value of each badged column over every filtered regression (one query)."""
    values = queryset.order_by().aggregate(
        **{f"{key}__max": Max(key) for key in BADGED}, **{f"{key}__min": Min(key) for key in BADGED}
    )
    extremes = {}
    for key, higher in BADGED.items():
        high, low = values[f"{key}__max"], values[f"{key}__min"]
        if high is not None and high != low:  # one value for all: nobody is best
            extremes[key] = {"best": high if higher else low, "worst": low if higher else high}
    return extremes


def badge_of(regression: Regression, key: str, extremes: dict) -> str:
    """``best``, ``worst`` or ``""``: the regression's value in column ``key`` against the filtered set's."""
    value, bounds = getattr(regression, key), extremes.get(key)
    if value is None or bounds is None:
        return ""
    return "best" if value == bounds["best"] else "worst" if value == bounds["worst"] else ""
