"""The trader's workbench for regressions: the leaderboard of a whole grid and the compare page."""

from django.http import Http404
from django.shortcuts import render
from django.urls import reverse

from epochs.models import Epoch
from regressions import analysis, charts_workbench, workbench
from regressions.leaderboard import (
    BADGED,
    PAGE_SIZES,
    SORTS,
    badge_of,
    column_extremes,
    hyperparameter_groups,
    leaderboard_page,
)
from regressions.models import Regression
from regressions.services import files as certificate_files

MAX_COMPARED = 12
COLUMNS = [
    ("id", "Regression"),
    ("batch", "Batch"),
    ("category", "Category"),
    ("status", "Status"),
    ("learning_rate", "Learning rate"),
    ("loss", "Loss"),
    ("metric", "Metric"),
    ("optimizer", "Optimizer"),
    ("units", "Units"),
    ("filters", "Filters"),
    ("kernel_sizes", "Kernels"),
    ("pool_sizes", "Pools"),
    ("activations", "Activations"),
    ("ebe_points", "EBE points"),
    ("accuracy", "Accuracy (%)"),
    ("increase_accuracy", "Increase acc. (%)"),
    ("decrease_accuracy", "Decrease acc. (%)"),
    ("points", "Points"),
    ("increase_num", "Increases"),
    ("decrease_num", "Decreases"),
    ("test_loss", "Test loss"),
    ("test_mae", "Test MAE"),
    ("test_mse", "Test MSE"),
    ("best_epoch", "Best epoch"),
    ("epochs_trained", "Epochs"),
    ("training_seconds", "Seconds"),
]


def _headers(query, sort: str) -> list[dict]:
    """Each column's sort link: a first click sorts it (descending for scores), the next one reverses."""
    headers = []
    for key, label in COLUMNS:
        current = sort.lstrip("-") == key
        descending = sort.startswith("-")
        if current:
            target = key if descending else f"-{key}"
        else:
            target = f"-{key}" if key in DESCENDING_FIRST else key
        params = query.copy()
        params["sort"] = target
        headers.append(
            {
                "key": key,
                "label": label,
                "url": f"?{params.urlencode()}",
                "arrow": ("▼" if descending else "▲") if current else "",
            }
        )
    return headers


DESCENDING_FIRST = {
    "ebe_points",
    "accuracy",
    "increase_accuracy",
    "decrease_accuracy",
    "points",
    "increase_num",
    "decrease_num",
}


def _fmt(value, digits: int) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _joined(values) -> str:
    return ", ".join(str(v) for v in values) if values else "—"


def _display(r, extremes: dict) -> dict:
    """One leaderboard row as text, formatted here: Django's floatformat is slow over thousands of cells."""
    km = r.config.config.get("keras_model", {})
    return {
        "id": r.config_id,
        "url": reverse("regression-detail", args=[r.config_id]),
        "trained": r.status == "trained",
        "ebe": _fmt(r.ebe_points, 2),
        "ebe_state": r.ebe_state,
        "ebe_badge": badge_of(r, "ebe_points", extremes),
        "head": [
            r.config.batch.name,
            r.config.category,
            r.status,
            str(r.config.learning_rate),
            r.config.loss,
            r.config.metric,
            r.config.config.get("optimizer", "—"),
            _joined(km.get("units")),
            _joined(km.get("filters")),
            _joined(km.get("kernel_sizes")),
            _joined(km.get("pool_sizes")),
            _joined(km.get("activations")),
        ],
        "tail": [
            (field, text, badge_of(r, field, extremes) if field in BADGED else "")
            for field, text in (
                ("accuracy", _fmt(r.accuracy, 2)),
                ("increase_accuracy", _fmt(r.increase_accuracy, 2)),
                ("decrease_accuracy", _fmt(r.decrease_accuracy, 2)),
                ("points", _fmt(r.points, 2)),
                ("increase_num", "—" if r.increase_num is None else str(r.increase_num)),
                ("decrease_num", "—" if r.decrease_num is None else str(r.decrease_num)),
                ("test_loss", _fmt(r.test_loss, 6)),
                ("test_mae", _fmt(r.test_mae, 6)),
                ("test_mse", _fmt(r.test_mse, 8)),
                ("best_epoch", "—" if r.best_epoch is None else str(r.best_epoch)),
                ("epochs_trained", "—" if r.epochs_trained is None else str(r.epochs_trained)),
                ("training_seconds", _fmt(r.training_seconds, 1)),
            )
        ],
    }


def leaderboard(request):
    filterset, sort, page = leaderboard_page(request.GET)
    rows = list(page.object_list)
    valid = filterset.is_valid()
    groups = hyperparameter_groups(filterset.qs) if valid else []
    extremes = column_extremes(filterset.qs) if valid else {}
    figures = charts_workbench.hyperparameter_figures(
        groups, [(r.config_id, r.epochs_trained) for r in rows if r.epochs_trained]
    )
    figures["ebe"] = charts_workbench.ebe_bars(
        [(r.config_id, r.ebe_points, r.ebe_state) for r in rows], title="EBE points of this page"
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "regressions/leaderboard.html",
        {
            "filterset": filterset,
            "sort": sort,
            "page": page,
            "rows": rows,
            "display": [_display(r, extremes) for r in rows],
            "figures": {k: v for k, v in figures.items() if v},
            "sorts": SORTS,
            "page_sizes": PAGE_SIZES,
            "query": query.urlencode(),
            "epochs": Epoch.objects.order_by("-created"),
            "total": page.paginator.count,
            "headers": _headers(query, sort),
        },
    )


def compare(request):
    ids = list(dict.fromkeys(i for value in request.GET.getlist("ids") for i in value.split(",") if i))[:MAX_COMPARED]
    regressions = {
        r.config_id: r for r in Regression.objects.select_related("config").filter(config_id__in=ids, status="trained")
    }
    missing = [i for i in ids if i not in regressions]
    if missing or not ids:
        raise Http404(f"Not trained regressions: {', '.join(missing) or 'none chosen'}")
    rows = workbench.compared([certificate_files.regression_certificate(regressions[i]) for i in ids])
    return render(
        request,
        "regressions/compare.html",
        {
            "rows": rows,
            "figures": charts_workbench.compare_figures(rows),
            "badges": workbench.badges(rows),
            "metrics": workbench.COMPARED_METRICS,
            "diff": workbench.config_diff([regressions[i].config.config for i in ids]),
            "ebe_lines": workbench.ebe_table(rows),
            "ids": ",".join(ids),
        },
    )


def grid_analysis(request):
    epochs = Epoch.objects.order_by("-created")
    epoch_id = request.GET.get("epoch") or (epochs.first().pk if epochs.exists() else None)
    target = request.GET.get("target") if request.GET.get("target") in analysis.TARGETS else "accuracy"
    rows = analysis.analysis_rows(epoch_id=epoch_id)
    ranked = analysis.cached_importances(epoch_id=epoch_id, target=target, rows=rows)
    return render(
        request,
        "regressions/analysis.html",
        {
            "epochs": epochs,
            "epoch_id": epoch_id,
            "target": target,
            "targets": analysis.TARGETS,
            "ranked": ranked,
            "count": len(rows),
            "figures": charts_workbench.analysis_figures(rows, target, analysis.TARGETS[target], ranked),
        },
    )
