"""Reads of the prediction models' files (certificates, forward-test records), for the API and the pages."""

from __future__ import annotations

from django.http import Http404

from core.files import read_json
from prediction_models import selectors
from prediction_models.models import ForwardTest, PredictionModel


def model_certificate(model: PredictionModel) -> dict:
    path = selectors.model_certificate_path(model)
    if not path.exists():
        raise Http404(f"The certificate of {model.id} is missing.")
    return read_json(path)


def forward_test_record(forward_test: ForwardTest) -> dict | None:
    """The stored record (discovery, backtest, metrics) of a done forward test."""
    path = selectors.forward_test_record_path(forward_test)
    return read_json(path) if path is not None and path.exists() else None


def bulk_certificates(
    *, epoch_id: str | None = None, search_id: int | None = None, ids: list[str] | None = None
) -> list[dict]:
    """The certificates of an epoch's or a search's models (by rank), or of the ids given (in their order): one query."""
    return [
        model_certificate(model)
        for model in selectors.bulk_certificate_models(epoch_id=epoch_id, search_id=search_id, ids=ids)
    ]
