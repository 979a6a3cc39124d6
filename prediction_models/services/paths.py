"""Where a search's and a built model's files live inside the epoch folder (epochs.engine.layout)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from epochs.engine.layout import model_certificate_file
from epochs.services.paths import epoch_layout

if TYPE_CHECKING:
    from prediction_models.models import PredictionModelSearch


def assets_dir(search: PredictionModelSearch) -> Path:
    """Selection-period assets (``assets.npz``, the JSON export) of one search."""
    return epoch_layout(search.epoch_id).search_assets(search.pk)


def holdout_assets_dir(search: PredictionModelSearch) -> Path:
    return assets_dir(search) / "holdout"


def features_dir(search: PredictionModelSearch) -> Path:
    """One ``<regression id>.npy`` of features over the whole test range per regression."""
    return assets_dir(search) / "features"


def certificate_relpath(model_id: str) -> str:
    return model_certificate_file(model_id)


def build_file(epoch_id: str) -> Path:
    return epoch_layout(epoch_id).build_file
