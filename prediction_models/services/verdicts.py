"""The plain verdict on a built model (docs/statistics.md): computed when read, because forward
tests arrive after the build."""

from __future__ import annotations

from django.conf import settings

from prediction_models.engine.overfitting import OverfittingSummary, VerdictThresholds, verdict
from prediction_models.models import PredictionModel
from prediction_models.selectors import done_forward_tests


def verdict_thresholds() -> VerdictThresholds:
    return VerdictThresholds(
        min_deflated_sharpe=settings.VERDICT_MIN_DEFLATED_SHARPE,
        max_pbo=settings.VERDICT_MAX_PBO,
        max_spa_pvalue=settings.VERDICT_MAX_SPA_PVALUE,
        min_holdout_profit=settings.VERDICT_MIN_HOLDOUT_PROFIT,
        min_forward_profit=settings.VERDICT_MIN_FORWARD_PROFIT,
    )


def model_verdict(model: PredictionModel) -> list[dict]:
    """The plain verdict (docs/statistics.md): each check passed, failed or not available."""
    summary = model.search.overfitting
    dsr = ((model.deflated_sharpe or {}).get("configs_tried") or {}).get("value")
    forward = [t.profit for t in done_forward_tests(model)]
    profits = [p for p in forward if p is not None]
    return verdict(
        OverfittingSummary.from_dict(summary) if summary else None,
        dsr,
        holdout_profit=model.holdout_profit,
        forward_profits=profits if forward and len(profits) == len(forward) else None,
        thresholds=verdict_thresholds(),
    )
