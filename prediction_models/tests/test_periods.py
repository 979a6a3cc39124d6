"""With no holdout (the `original` preset) the selection period is the original's test range."""

import numpy as np
import pytest

from epochs.engine.epoch import read_epoch_candles
from epochs.services.paths import epoch_dir
from prediction_models.engine.assets import Candles, build_assets
from prediction_models.services.periods import period_assets
from testing.smoke import make_smoke_epoch

pytestmark = pytest.mark.django_db


def test_no_holdout_reproduces_the_original_test_range():
    epoch = make_smoke_epoch("_NOHOLD", preset="original")
    assert (epoch.purge, epoch.holdout_share) == (False, 0.0)
    lookback, predictions = epoch.regression_lookback, epoch.regression_predictions
    minutes, prediction, _ = read_epoch_candles(epoch_dir(epoch.id) / "candlesticks")
    test_row = int(epoch.prediction_rows * epoch.train_split)
    test = prediction.take(slice(test_row, len(prediction)))
    count = len(test) - lookback - predictions
    rng = np.random.default_rng(3)
    features = {"A": np.round(rng.uniform(-1, 1, count), 6), "B": np.round(rng.uniform(-1, 1, count), 6)}

    selection_assets, holdout_assets, selection, holdout = period_assets(epoch, features, [3], lookback, predictions)

    assert holdout_assets is None and holdout is None
    assert (selection.start, selection.end) == (epoch.test_ds_start, epoch.test_ds_end)
    # The original: prediction-model stages load the test range (ORIGINAL.md §1.4, §7).
    as_engine = lambda c: Candles.from_arrays("c", c.ot, c.ct, c.o, c.h, c.l, c.c)  # noqa: E731
    original = build_assets(
        predictions=as_engine(test),
        minutes=as_engine(minutes),
        features=features,
        lookback=lookback,
        forecast_steps=predictions,
        pcrs=[3],
    )
    np.testing.assert_array_equal(selection_assets.features, original.features)
    np.testing.assert_array_equal(selection_assets.labels[3.0], original.labels[3.0])
    np.testing.assert_array_equal(selection_assets.lookback_indexer, original.lookback_indexer)
    np.testing.assert_array_equal(selection_assets.minutes.ot, original.minutes.ot)
