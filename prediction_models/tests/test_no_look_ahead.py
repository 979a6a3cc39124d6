"""No look-ahead: candles after the selection period change nothing that leads to an export.

The epoch ends 2023-12 (real candles). Its candles are perturbed (one random price factor per
day) from the holdout's first minute on: once only within the holdout, once everything after the
selection period (the holdout and the months after the epoch). The bounds, the training
windows, the regressions' selection figures and ranking, the min sums, the profitable configs
and the chosen model must stay exactly as they are; the holdout's own figures must change (the
perturbation reached it).
"""

import numpy as np
import pytest
from django.conf import settings

from core.files import read_json
from epochs.engine.epoch import read_epoch_candles
from epochs.services.paths import epoch_dir
from prediction_models.services import files as certificate_files
from prediction_models.services.periods import periods, search_ranges
from regressions.engine.windows import build_windows
from regressions.models import RegressionConfig
from testing.forward_support import EPOCH_END, base_store, build_models, make_epoch, perturbed_store

pytestmark = pytest.mark.django_db


def pipeline(epoch_id, candle_set, cache) -> tuple[dict, dict, object]:
    """``(everything the export's choices depend on, the holdout's figures, the epoch)``, with regressions named
    by their place in the grid (their ids hash the data, so they differ between the epochs)."""
    epoch = make_epoch(epoch_id, candle_set)
    selection, search, models = build_models(epoch, cache, limit=3)
    folder = epoch_dir(epoch.id)
    place = {c.id: f"{c.batch.name}:{c.position}" for c in RegressionConfig.objects.filter(epoch=epoch)}
    config = read_json(folder / "epoch.json")
    ranges = search_ranges(epoch)
    _, _, normalized = read_epoch_candles(folder / "candlesticks")
    windows = build_windows(
        normalized,
        lookback=epoch.regression_lookback,
        predictions=epoch.regression_predictions,
        train_split=epoch.train_split,
        purge=epoch.purge,
    )
    certificates = {
        place[rid]: read_json(folder / "regressions" / rid / "certificate.json") for rid in selection.regression_ids
    }
    chosen = []
    holdout = {"regressions": {name: cert["holdout"] for name, cert in certificates.items()}, "models": []}
    for model in models:
        cert = certificate_files.model_certificate(model)
        chosen.append(
            {
                "config": [
                    [place[r] for r in model.profitable_config.regression_ids],
                    model.profitable_config.config_index,
                ],
                "min_sums": [cert["model"]["min_increase_sum"], cert["model"]["min_decrease_sum"]],
                "selection": [
                    cert["test_ds_start"],
                    cert["test_ds_end"],
                    cert["discovery"],
                    cert["backtest"],
                    cert["metrics"],
                ],
            }
        )
        holdout["models"].append(cert["holdout"])
    choices = {
        "bounds": [
            config["highest_price_sma"],
            config["lowest_price_sma"],
            epoch.highest_price_sma,
            epoch.lowest_price_sma,
        ],
        "selection_rows": normalized[: ranges.holdout_row].tolist(),
        "training_windows": [np.asarray(windows.train_x).tolist(), np.asarray(windows.train_y).tolist()],
        "regression_figures": {
            name: [
                c["train_size"],
                c["test_size"],
                c["test_ds_evaluation"],
                c["discovery"],
                c["training_history"],
                c["training_data_summary"],
            ]
            for name, c in certificates.items()
        },
        "ranking": [{**row, "id": place[row["id"]]} for row in selection.ranking],
        "selected": [place[rid] for rid in selection.regression_ids],
        "profitable": [
            [
                [place[r] for r in c.regression_ids],
                c.config_index,
                c.price_change_requirement,
                c.min_sum_function,
                c.min_sum_adjustment_factor,
                c.profit,
                c.accuracy,
                c.positions,
                c.final_balance,
            ]
            for c in search.profitable_configs.order_by("config_index")
        ],
        "models": chosen,
    }
    return choices, holdout, epoch


@pytest.mark.slow  # three epochs, two tiny regressions trained on each
def test_candles_after_the_selection_period_change_no_choice(trained_cache):
    if not settings.BINANCE_MIRROR_DIR.exists():
        pytest.skip(f"real candles not found at {settings.BINANCE_MIRROR_DIR} (set BINANCE_MIRROR_DIR)")
    choices, holdout, epoch = pipeline("_FWD", base_store(), trained_cache)
    _, prediction, _ = read_epoch_candles(epoch_dir(epoch.id) / "candlesticks")
    _, hold = periods(epoch, prediction)
    assert hold is not None and hold.end == EPOCH_END
    assert len(choices["profitable"]) > 0 and len(choices["models"]) > 0

    for name, until in (("fwd-holdout-perturbed", EPOCH_END), ("fwd-after-selection-perturbed", None)):
        changed_choices, changed_holdout, _ = pipeline(
            f"_FWD{'H' if until else 'A'}", perturbed_store(name, hold.start, until), trained_cache
        )
        for key in choices:
            assert changed_choices[key] == choices[key], f"{name}: {key} changed"
        assert changed_holdout != holdout, f"{name}: the perturbation did not reach the holdout"
