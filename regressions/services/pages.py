"""What the regression page shows that lives in files: read here, so the view reads none."""

from __future__ import annotations

from core.files import read_json
from epochs.services.paths import epoch_layout
from regressions.engine.ebe import regression_evaluation
from regressions.models import Regression
from regressions.services import files as certificate_files


def regression_page(regression: Regression) -> tuple[dict, list, dict]:
    """A trained regression's certificate, its stored prediction samples (none when missing) and
    its Epoch Builder Evaluation."""
    cert = certificate_files.regression_certificate(regression)
    samples_file = epoch_layout(regression.epoch_id).regression_samples(regression.config_id)
    return cert, read_json(samples_file) if samples_file.exists() else [], regression_evaluation(cert)


def regression_page_evaluation(regression: Regression) -> dict:
    """The Epoch Builder Evaluation of the regression's certificate (EPOCA_CONTRACT.md §5.1)."""
    return regression_evaluation(certificate_files.regression_certificate(regression))
