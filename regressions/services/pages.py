"""What the regression page shows that lives in files: read here, so the view reads none."""

from __future__ import annotations

from core.files import read_json
from epochs.services.paths import epoch_layout
from regressions.models import Regression
from regressions.services import files as certificate_files


def regression_page(regression: Regression) -> tuple[dict, list]:
    """A trained regression's certificate and its stored prediction samples (none when missing)."""
    cert = certificate_files.regression_certificate(regression)
    samples_file = epoch_layout(regression.epoch_id).regression_samples(regression.config_id)
    return cert, read_json(samples_file) if samples_file.exists() else []
