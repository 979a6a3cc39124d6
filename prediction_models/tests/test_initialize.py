"""Initialising a search: the frozen config space, the features, the two periods, the JSON export."""

from math import comb

import numpy as np
import pyarrow.parquet as pq
import pytest

from core.files import read_json
from epochs.services.paths import epoch_dir
from prediction_models.choices import SearchStatus
from prediction_models.engine.assets import load_assets
from prediction_models.services import paths
from testing.searches import make_search

pytestmark = pytest.mark.django_db(transaction=False)


def original_feature(x_last: float, forecast: float) -> float:
    """ORIGINAL.md §7.1 in plain Python: 2-decimal % change, clipped to [0.01, 1], scaled to [-1, 1]."""
    change = (forecast - x_last) / x_last * 100 if forecast > x_last else -((x_last - forecast) / x_last * 100)
    change = round(max(change, -100), 2)
    magnitude = min(abs(change), 1)
    if magnitude < 0.01:
        return 0.0
    scaled = round((magnitude - 0.01) / (1 - 0.01), 6)
    return scaled if change > 0 else -scaled


def test_initialize_freezes_the_space_and_computes_the_test_range_features(pm_epoch):
    import tensorflow as tf  # why: TensorFlow is heavy; only the processes that train or predict load it

    search = make_search(pm_epoch)  # no cache: the child process predicts here
    epoch = search.epoch
    assert search.status == SearchStatus.READY
    assert search.total_configs == comb(4, 2) * len(epoch.price_change_requirements) * len(
        epoch.min_sum_functions
    ) * len(epoch.min_sum_adjustment_factors)
    assert (
        search.min_accuracy == epoch.min_accuracy
        and search.min_sum_adjustment_factors == epoch.min_sum_adjustment_factors
    )

    closes = (
        pq.read_table(epoch_dir(epoch.id) / "candlesticks" / "normalized_prediction_candlesticks.parquet")
        .column("c")
        .to_numpy()
    )
    rows, lookback, steps = len(closes), epoch.regression_lookback, epoch.regression_predictions
    test_row = int(rows * epoch.train_split)
    holdout_row = test_row + round((rows - test_row) * (1 - epoch.holdout_share))
    selection, holdout = load_assets(paths.assets_dir(search)), load_assets(paths.holdout_assets_dir(search))
    assert selection.features.shape == (4, holdout_row - test_row - lookback - steps)
    assert holdout.features.shape == (4, rows - holdout_row - steps)

    # Feature k of the whole test range decides at row test_row + k + lookback.
    total = rows - test_row - lookback - steps
    picks = [0, 7, selection.features_num - 1, holdout_row - test_row - lookback, total - 1]
    for r, rid in list(enumerate(search.regression_ids))[:2]:
        model = tf.keras.models.load_model(epoch_dir(epoch.id) / "regressions" / rid / "model.keras", compile=False)
        windows = np.array([closes[test_row + k : test_row + k + lookback] for k in picks], dtype=np.float32)
        forecasts = model.predict(windows, verbose=0)[:, -1].astype(float)
        expected = [original_feature(float(w[-1]), f) for w, f in zip(windows.astype(float), forecasts, strict=False)]
        ours = [
            selection.features[r, k] if k < selection.features_num else holdout.features[r, k - picks[3]] for k in picks
        ]
        # float32 batches may differ in the last bit: at most one 2-decimal step of the % change
        assert np.allclose(ours, expected, atol=0.0102), (rid, ours, expected)

    # Nothing of the selection period reaches into the holdout period.
    prediction_ot = (
        pq.read_table(epoch_dir(epoch.id) / "candlesticks" / "prediction_candlesticks.parquet").column("ot").to_numpy()
    )
    assert selection.minutes.ct[-1] < prediction_ot[holdout_row] <= holdout.minutes.ot[0]
    assert selection.minutes.ot[0] == prediction_ot[test_row + lookback]


def test_export_assets_writes_the_original_json(ready_search, api_client):
    response = api_client.post(f"/api/prediction-model-searches/{ready_search.pk}/export-assets/")
    assert response.status_code == 200, response.content
    assert len(response.json()["files"]) == 3
    assets = load_assets(paths.assets_dir(ready_search))
    features = read_json(paths.assets_dir(ready_search) / "features.json")
    assert list(features) == ready_search.regression_ids
    assert all(len(v) == assets.features_num for v in features.values())
    labels = read_json(paths.assets_dir(ready_search) / "labels.json")
    assert set(labels) == {"3"} and set(labels["3"]) <= {1, -1}
    indexer = read_json(paths.assets_dir(ready_search) / "lookback_indexer.json")
    assert len(indexer) == len(assets.minutes) and indexer[str(int(assets.minutes.ot[0]))] == 0
