"""Reads of the regressions' certificate files, for the API and the pages."""

from __future__ import annotations

from django.http import Http404

from core.files import read_json
from epochs.services.paths import epoch_layout
from regressions import selectors
from regressions.models import Regression


def regression_certificate(regression: Regression) -> dict:
    path = epoch_layout(regression.epoch_id).regression_certificate(regression.config_id)
    if not path.exists():
        raise Http404(f"{regression.config_id} is not trained yet.")
    return read_json(path)


def bulk_certificates(
    *,
    epoch_id: str | None = None,
    selection_id: int | None = None,
    ids: list[str] | None = None,
    groups: dict[str, str] | None = None,
) -> list[dict]:
    """The trained certificates of an epoch, a selection, a registered group (a prediction model)
    or the ids given, in their order (see ``selectors.bulk_certificate_regressions``)."""
    regressions = selectors.bulk_certificate_regressions(
        epoch_id=epoch_id, selection_id=selection_id, ids=ids, groups=groups
    )
    return [regression_certificate(regression) for regression in regressions]
