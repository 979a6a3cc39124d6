"""Where a search's and a built model's files live inside the epoch folder."""
from __future__ import annotations

from pathlib import Path

from core.files import safe_join
from epochs.services.paths import epoch_dir

ASSETS = "prediction_models/assets"
CERTIFICATES = "prediction_models/certificates"
BUILD_FILE = "prediction_models/build.json"


def assets_dir(search) -> Path:
    """Selection-period assets (``assets.npz``, the JSON export) of one search."""
    return safe_join(epoch_dir(search.epoch_id), ASSETS, str(search.pk))


def holdout_assets_dir(search) -> Path:
    return assets_dir(search) / "holdout"


def features_dir(search) -> Path:
    """One ``<regression id>.npy`` of features over the whole test range per regression."""
    return assets_dir(search) / "features"


def certificate_relpath(model_id: str) -> str:
    return f"{CERTIFICATES}/{model_id}.json"


def build_file(epoch_id: str) -> Path:
    return safe_join(epoch_dir(epoch_id), BUILD_FILE)
