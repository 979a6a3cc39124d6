"""Reads of searches, profitable configs and built models."""

from __future__ import annotations

from pathlib import Path

from django.db.models import Prefetch, QuerySet

from core.files import safe_join
from epochs.services.paths import epoch_dir
from prediction_models.choices import ForwardTestStatus
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


def with_done_forward_tests(qs: QuerySet[PredictionModel]) -> QuerySet[PredictionModel]:
    """``qs`` with each model's done forward tests in ``done_forward_tests`` (one query for the whole page)."""
    done = ForwardTest.objects.filter(status=ForwardTestStatus.DONE).order_by("start", "created")
    return qs.prefetch_related(Prefetch("forward_tests", queryset=done, to_attr="done_forward_tests"))


def done_forward_tests(model: PredictionModel) -> list[ForwardTest]:
    """The model's done forward tests, oldest range first: prefetched when the list read them."""
    prefetched = getattr(model, "done_forward_tests", None)
    return list(prefetched) if prefetched is not None else list(forward_tests_of(model))


def latest_forward_test(model: PredictionModel) -> ForwardTest | None:
    """The model's most recently run forward test that is done."""
    return max(done_forward_tests(model), key=lambda t: (t.created, t.pk), default=None)


def model_certificate_path(model: PredictionModel) -> Path:
    """The certificate file (``<epoch>/prediction_models/certificates/<id>.json``)."""
    return safe_join(epoch_dir(model.search.epoch_id), model.certificate_file)


def model_regression_ids(model: PredictionModel) -> list[str]:
    """The model's regressions, in the order of its certificate's ``model.regressions``."""
    return list(model.profitable_config.regression_ids)


def forward_tests_of(model: PredictionModel, *, done_only: bool = True):
    """The model's forward tests, oldest range first (done ones only unless asked)."""
    qs = ForwardTest.objects.filter(prediction_model=model).order_by("start", "created")
    return qs.filter(status=ForwardTestStatus.DONE) if done_only else qs


def forward_test_record_path(forward_test) -> Path | None:
    """Where a done forward test's record is (``None`` before it has one)."""
    if not forward_test.result_file:
        return None
    return safe_join(epoch_dir(forward_test.prediction_model.search.epoch_id), forward_test.result_file)


def bulk_certificate_models(
    *, epoch_id: str | None = None, search_id=None, ids: list[str] | None = None
) -> list[PredictionModel]:
    """An epoch's or a search's models (by rank), or those of the ids given (in their order): one query."""
    qs = PredictionModel.objects.select_related("search")
    if epoch_id:
        qs = qs.filter(search__epoch_id=epoch_id)
    if search_id:
        qs = qs.filter(search_id=search_id)
    rows = list(qs.order_by("search", "rank"))
    if ids:
        position = {mid: i for i, mid in enumerate(ids)}
        rows = sorted((r for r in rows if r.id in position), key=lambda r: position[r.id])
    return rows
