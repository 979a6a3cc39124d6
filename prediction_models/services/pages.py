"""What the model page shows that lives in files: read here, so the view reads none."""

from __future__ import annotations

import dataclasses

from prediction_models import selectors
from prediction_models.engine.assets import ASSETS_FILE, load_assets
from prediction_models.models import PredictionModel
from prediction_models.services import files as certificate_files
from prediction_models.services import paths
from prediction_models.services.forward_tests import forward_test_dir


@dataclasses.dataclass(frozen=True)
class Period:
    """One period a model was traded on: the selection, the holdout or a forward test."""

    name: str
    backtest: dict
    start: int
    end: int
    minutes: object  # the period's 1-minute candles (the charts' time axis)
    record: dict  # the certificate part or the forward test's record: discovery, metrics, rows


def model_periods(model: PredictionModel) -> tuple[dict, list[Period]]:
    """The model's certificate and every period with its assets' minutes: selection, holdout, forward tests."""
    cert = certificate_files.model_certificate(model)
    periods = [
        Period(
            "selection",
            cert["backtest"],
            cert["test_ds_start"],
            cert["test_ds_end"],
            load_assets(paths.assets_dir(model.search)).minutes,
            cert,
        )
    ]
    holdout = cert.get("holdout")
    if holdout and (paths.holdout_assets_dir(model.search) / ASSETS_FILE).exists():
        periods.append(
            Period(
                "holdout",
                holdout["backtest"],
                holdout["test_ds_start"],
                holdout["test_ds_end"],
                load_assets(paths.holdout_assets_dir(model.search)).minutes,
                holdout,
            )
        )
    for forward_test in selectors.forward_tests_of(model):
        record = certificate_files.forward_test_record(forward_test)
        folder = forward_test_dir(forward_test)
        if record and (folder / ASSETS_FILE).exists():
            periods.append(
                Period(
                    f"forward test #{forward_test.pk}",
                    record["backtest"],
                    record["start"],
                    record["end"],
                    load_assets(folder).minutes,
                    record,
                )
            )
    return cert, periods
