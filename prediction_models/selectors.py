"""Reads of searches, profitable configs and built models."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.db.models import QuerySet
from django.http import Http404

from core.files import read_json, safe_join
from epochs.services.paths import epoch_dir
from prediction_models.choices import ForwardTestStatus
from prediction_models.engine.overfitting import OverfittingSummary, VerdictThresholds, verdict
from prediction_models.models import ForwardTest, PredictionModel, PredictionModelSearch, ProfitableConfig


def search_list(*, epoch=None) -> QuerySet[PredictionModelSearch]:
    qs = PredictionModelSearch.objects.select_related("epoch", "selection", "created_by")
    return qs.filter(epoch=epoch) if epoch else qs


def profitable_config_list(*, search=None) -> QuerySet[ProfitableConfig]:
    qs = ProfitableConfig.objects.select_related("search")
    return qs.filter(search=search) if search else qs


def model_list(*, search=None) -> QuerySet[PredictionModel]:
    qs = PredictionModel.objects.select_related("search", "profitable_config")
    return qs.filter(search=search) if search else qs


def model_certificate_path(model: PredictionModel) -> Path:
    """The certificate file (``<epoch>/prediction_models/certificates/<id>.json``)."""
    return safe_join(epoch_dir(model.search.epoch_id), model.certificate_file)


def model_regression_ids(model: PredictionModel) -> list[str]:
    """The model's regressions, in the order of its certificate's ``model.regressions``."""
    return list(model.profitable_config.regression_ids)


def model_certificate(model: PredictionModel) -> dict:
    path = model_certificate_path(model)
    if not path.exists():
        raise Http404(f"The certificate of {model.id} is missing.")
    return read_json(path)


def forward_tests_of(model: PredictionModel, *, done_only: bool = True):
    """The model's forward tests, oldest range first (done ones only unless asked)."""
    qs = ForwardTest.objects.filter(prediction_model=model).order_by("start", "created")
    return qs.filter(status=ForwardTestStatus.DONE) if done_only else qs


def forward_test_record(forward_test) -> dict | None:
    """The stored record (discovery, backtest, metrics) of a done forward test."""
    if not forward_test.result_file:
        return None
    path = safe_join(epoch_dir(forward_test.prediction_model.search.epoch_id), forward_test.result_file)
    return read_json(path) if path.exists() else None


def bulk_certificates(*, epoch_id: str | None = None, search_id=None, ids: list[str] | None = None) -> list[dict]:
    """The certificates of an epoch's or a search's models (by rank), or of the ids given (in their order): one query."""
    qs = PredictionModel.objects.select_related("search")
    if epoch_id:
        qs = qs.filter(search__epoch_id=epoch_id)
    if search_id:
        qs = qs.filter(search_id=search_id)
    rows = list(qs.order_by("search", "rank"))
    if ids:
        position = {mid: i for i, mid in enumerate(ids)}
        rows = sorted((r for r in rows if r.id in position), key=lambda r: position[r.id])
    return [model_certificate(r) for r in rows]


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
    forward = [t.profit for t in forward_tests_of(model)]
    return verdict(
        OverfittingSummary.from_dict(summary) if summary else None,
        dsr,
        holdout_profit=model.holdout_profit,
        forward_profits=forward if forward and None not in forward else None,
        thresholds=verdict_thresholds(),
    )
