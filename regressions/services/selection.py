"""Ranking trained regressions and saving a selection for the prediction models."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction

from core.errors import ApplicationError
from epochs.models import Epoch
from regressions import selectors
from regressions.choices import SelectionMode
from regressions.models import Regression, RegressionSelection

if TYPE_CHECKING:
    from django.contrib.auth.models import User

DEFAULT_CRITERIA = {
    "order_by": ["-accuracy", "-points", "test_loss"],
    "min_increase_num": 1,
    "min_decrease_num": 1,
    "min_accuracy": None,
}


@transaction.atomic
def selection_create(
    *,
    epoch: Epoch,
    name: str,
    size: int = 20,
    mode: str = SelectionMode.TOP_N,
    criteria: dict | None = None,
    regression_ids: list[str] | None = None,
    note: str = "",
    user: User | None = None,
) -> RegressionSelection:
    """Rank the epoch's trained regressions by ``criteria`` and keep the top ``size`` (or the ids given)."""
    criteria = {**DEFAULT_CRITERIA, **(criteria or {})}
    ranked = selectors.regression_ranking(epoch=epoch, criteria=criteria)
    ranking: list[dict[str, Any]] = [
        {
            "rank": i + 1,
            "id": r.config_id,
            "accuracy": r.accuracy,
            "points": r.points,
            "test_loss": r.test_loss,
            "ebe_points": r.ebe_points,
            "increase_num": r.increase_num,
            "decrease_num": r.decrease_num,
        }
        for i, r in enumerate(ranked)
    ]
    if mode == SelectionMode.TOP_N:
        chosen = [row["id"] for row in ranking[:size]]
        if len(chosen) < size:
            raise ApplicationError(
                f"Only {len(chosen)} trained regressions meet the criteria; the selection needs {size}."
            )
    elif mode == SelectionMode.MANUAL:
        chosen = list(dict.fromkeys(regression_ids or []))
        trained = set(
            Regression.objects.filter(epoch=epoch, status="trained", config_id__in=chosen).values_list(
                "config_id", flat=True
            )
        )
        missing = [rid for rid in chosen if rid not in trained]
        if missing:
            raise ValidationError({"regression_ids": f"Not trained regressions of {epoch.id}: {', '.join(missing)}"})
        if not chosen:
            raise ValidationError({"regression_ids": "Choose at least one regression."})
    else:
        raise ValidationError({"mode": f"Unknown mode {mode!r}."})
    selection = RegressionSelection(
        epoch=epoch,
        name=name,
        mode=mode,
        criteria=criteria,
        size=len(chosen),
        ranking=ranking,
        regression_ids=chosen,
        note=note,
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    selection.full_clean()
    selection.save()
    selection.regressions.set(Regression.objects.filter(config_id__in=chosen))
    return selection
