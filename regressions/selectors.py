"""Reads of configs, batches, regressions and selections."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db.models import Count, F, Q, QuerySet
from django.http import Http404

from cluster.choices import JobStatus
from cluster.models import Job
from cluster.selectors import jobs_for_target
from epochs.models import Epoch
from regressions.choices import RegressionStatus
from regressions.engine.training import LIVE_HISTORY
from regressions.models import Regression, RegressionConfig, RegressionSelection, TrainingBatch

RANKABLE = {
    "ebe_points",
    "accuracy",
    "points",
    "test_loss",
    "test_mae",
    "test_mse",
    "increase_accuracy",
    "decrease_accuracy",
    "training_seconds",
}


def batch_list(*, epoch: Epoch | None = None) -> QuerySet[TrainingBatch]:
    qs = TrainingBatch.objects.select_related("epoch").annotate(
        configs_count=Count("configs", distinct=True),
        trained_count=Count("configs", filter=Q(configs__regression__status=RegressionStatus.TRAINED), distinct=True),
        failed_count=Count("configs", filter=Q(configs__regression__status=RegressionStatus.FAILED), distinct=True),
    )
    return qs.filter(epoch=epoch) if epoch else qs


def regression_list(*, epoch: Epoch | None = None) -> QuerySet[Regression]:
    qs = Regression.objects.select_related("config", "config__batch")
    return qs.filter(epoch=epoch) if epoch else qs


def regression_ranking(*, epoch: Epoch, criteria: dict) -> list[Regression]:
    order = criteria.get("order_by") or ["-accuracy"]
    for key in order:
        if key.lstrip("-") not in RANKABLE:
            raise ValidationError({"criteria": f"Cannot rank by {key!r}; choose from {sorted(RANKABLE)}."})
    qs = regression_list(epoch=epoch).filter(status=RegressionStatus.TRAINED)
    if criteria.get("min_increase_num"):
        qs = qs.filter(increase_num__gte=criteria["min_increase_num"])
    if criteria.get("min_decrease_num"):
        qs = qs.filter(decrease_num__gte=criteria["min_decrease_num"])
    if criteria.get("min_accuracy") is not None:
        qs = qs.filter(accuracy__gte=criteria["min_accuracy"])
    ordering = [F(k[1:]).desc(nulls_last=True) if k.startswith("-") else F(k).asc(nulls_last=True) for k in order]
    return list(qs.order_by(*ordering, "config_id"))


def live_training_curve(regression: Regression) -> dict | None:
    """The live curve its running training job keeps (a training on a cluster server reports it)."""
    state = (
        jobs_for_target(regression.config)
        .filter(kind="regressions.train", status=JobStatus.RUNNING)
        .order_by("-pk")
        .values_list("state", flat=True)
        .first()
    )
    return (state or {}).get(LIVE_HISTORY)


def retraining_now(regressions: Iterable[Regression]) -> set[str]:
    """The ids of those trained ``regressions`` that a running training job retrains (their status
    stays trained until the new generation's files are swapped in); one query."""
    trained = [r.config_id for r in regressions if r.status == RegressionStatus.TRAINED]
    if not trained:
        return set()
    return set(
        Job.objects.filter(
            kind="regressions.train",
            status=JobStatus.RUNNING,
            target_type=ContentType.objects.get_for_model(RegressionConfig),
            target_id__in=trained,
        ).values_list("target_id", flat=True)
    )


def selection_list(*, epoch: Epoch | None = None) -> QuerySet[RegressionSelection]:
    qs = RegressionSelection.objects.select_related("epoch", "created_by")
    return qs.filter(epoch=epoch) if epoch else qs


# Floors above name groups of regressions by their own objects (a prediction model: its
# regressions); each registers a query parameter and the regression ids an id of it stands for
# (None: no such object).
RegressionGroup = Callable[[str], "list[str] | None"]
_REGRESSION_GROUPS: dict[str, RegressionGroup] = {}


def regression_group_register(name: str, regression_ids: RegressionGroup) -> None:
    _REGRESSION_GROUPS[name] = regression_ids


def regression_group_names() -> list[str]:
    return sorted(_REGRESSION_GROUPS)


def regression_group_ids(name: str, group_id: str) -> list[str]:
    """The regression ids (in the group's order) of group ``name``'s object ``group_id``; 404 when there is none."""
    ids = _REGRESSION_GROUPS[name](group_id)
    if ids is None:
        raise Http404(f"No {name.replace('_', ' ')} {group_id}.")
    return ids


def bulk_certificate_regressions(
    *,
    epoch_id: str | None = None,
    selection_id: int | None = None,
    ids: list[str] | None = None,
    groups: dict[str, str] | None = None,
) -> list[Regression]:
    """The trained regressions of an epoch, a selection (in its order), a registered group (a
    prediction model, in its order) or the ids given (in their order): one query, and one per group."""
    qs = Regression.objects.filter(status=RegressionStatus.TRAINED)
    order: list[str] | None = None
    if epoch_id:
        qs = qs.filter(epoch_id=epoch_id)
    if selection_id is not None:
        selection = RegressionSelection.objects.filter(pk=selection_id).values_list("regression_ids", flat=True).first()
        if selection is None:
            raise Http404(f"No selection {selection_id}.")
        order = list(selection)
        qs = qs.filter(config_id__in=order)
    for name, group_id in (groups or {}).items():
        order = regression_group_ids(name, group_id)
        qs = qs.filter(config_id__in=order)
    if ids:
        order = ids
        qs = qs.filter(config_id__in=ids)
    rows = list(qs.order_by("config_id"))
    if order is not None:
        position = {rid: i for i, rid in enumerate(order)}
        rows.sort(key=lambda r: position.get(r.config_id, len(position)))
    return rows
