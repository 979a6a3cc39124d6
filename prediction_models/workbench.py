"""The prediction-models list: every built model, selection, holdout and latest forward test side by side,
duplicates marked, the best and the worst of the page per metric badged."""

from __future__ import annotations

from collections import defaultdict

import django_filters
from django.core.paginator import Paginator
from django.db.models import F

from prediction_models.engine.metrics import MODEL_METRICS, SORTABLE_COLUMNS, formatted
from prediction_models.filters import with_metric_minimums
from prediction_models.models import PredictionModel
from prediction_models.selectors import latest_forward_test, with_done_forward_tests
from prediction_models.templatetags.metric_tags import metric_cells
from regressions.workbench import badges

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


# The latest done forward test's figures (the list's last columns): key, heading, the metric formatting them.
FORWARD_COLUMNS = tuple(
    (f"forward_{m.column}", f"Forward {m.heading[0].lower()}{m.heading[1:]}", m)
    for m in MODEL_METRICS
    if m.section == "backtest" and m.column in ("profit", "accuracy", "positions")
)
# metric -> (label, higher is better; None: not ranked), as the badges read them.
BADGE_METRICS = {
    **{m.column: (m.label, m.higher_is_better if m.compared else None) for m in MODEL_METRICS},
    **{key: (label, metric.higher_is_better) for key, label, metric in FORWARD_COLUMNS},
}


def forward_cells(model) -> tuple[object, list[dict]]:
    """The model's latest done forward test and its cells (empty without one)."""
    test = latest_forward_test(model)
    return test, [
        {"key": key, "value": value, "text": "" if value is None else formatted(metric, value)}
        for key, _, metric in FORWARD_COLUMNS
        for value in [getattr(test, metric.column) if test else None]
    ]


def page_badges(rows) -> dict[str, dict[str, str]]:
    """Best and worst of the page's rows per metric (regressions' badges, on the models' metrics)."""
    return badges(
        [
            {
                "id": m.id,
                "metrics": {
                    **{column: getattr(m, column) for column in BADGE_METRICS if hasattr(m, column)},
                    **{c["key"]: c["value"] for c in forward_cells(m)[1]},
                },
            }
            for m in rows
        ],
        BADGE_METRICS,
    )


def row_cells(model, page_badges: dict[str, dict[str, str]]) -> list[dict]:
    """A list row's cells: every metric, then the latest forward test's, each with its badge
    ("best", "worst" or "") among the page's rows."""
    cells = [*metric_cells(model), *forward_cells(model)[1]]
    for cell in cells:
        marks = page_badges.get(cell["key"], {})
        cell["badge"] = "best" if marks.get("best") == model.id else "worst" if marks.get("worst") == model.id else ""
    return cells


def model_list_page(params):
    filterset = ModelListFilterSet(
        params, queryset=with_done_forward_tests(PredictionModel.objects.select_related("search"))
    )
    sort = params.get("sort") or DEFAULT_SORT
    sort = sort if sort.lstrip("-") in SORTS else DEFAULT_SORT
    column = SORTS[sort.lstrip("-")]
    order = F(column).desc(nulls_last=True) if sort.startswith("-") else F(column).asc(nulls_last=True)
    queryset = filterset.qs.order_by(order, "id") if filterset.is_valid() else PredictionModel.objects.none()
    page = Paginator(queryset, PAGE_SIZE).get_page(params.get("page"))
    rows = list(page.object_list)
    return filterset, sort, page, rows, duplicates_of(rows), page_badges(rows)
