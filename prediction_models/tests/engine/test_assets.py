import json

import numpy as np
import pandas as pd
import pytest

from prediction_models.engine.assets import (
    AssetsError,
    build_assets,
    export_json,
    feature_from_prediction,
    load_assets,
    save_assets,
)
from testing.market_data import load_month, resample, synthetic_features, to_candles

LOOKBACK, STEPS = 32, 8


@pytest.fixture(scope="module")
def frames():
    minutes = load_month(2022, 6).iloc[: 14 * 1440].reset_index(drop=True)
    minutes = minutes.drop(index=range(5000, 5300)).reset_index(drop=True)  # a real-looking gap
    return minutes, resample(minutes, 15)


@pytest.fixture(scope="module")
def assets(frames):
    minutes, predictions = frames
    features = synthetic_features(predictions.c.to_numpy(), LOOKBACK, STEPS, 3, seed=1)
    return build_assets(
        predictions=to_candles(predictions),
        minutes=to_candles(minutes),
        features=features,
        lookback=LOOKBACK,
        forecast_steps=STEPS,
        pcrs=(1, 3),
    )


def reference_labels(predictions: pd.DataFrame, minutes: pd.DataFrame, pcr: float) -> list[int]:
    """The original's scan: for each candle, walk the minutes strictly after its open."""
    ot, h, low = minutes.ot.tolist(), minutes.h.tolist(), minutes.l.tolist()
    labels = []
    for candle_ot, candle_o in zip(predictions.ot.tolist()[LOOKBACK:], predictions.o.tolist()[LOOKBACK:], strict=False):
        up = round(((pcr / 100) + 1) * candle_o, 2)
        down = round(-((pcr / 100) - 1) * candle_o, 2)
        outcome = None
        for minute_ot, high, low_ in zip(ot, h, low, strict=False):
            if minute_ot <= candle_ot:
                continue
            if high >= up:
                outcome = 1
                break
            if low_ <= down:
                outcome = -1
                break
        if outcome is None:
            break
        labels.append(outcome)
    return labels


def test_labels_match_the_original_scan(frames, assets):
    minutes, predictions = frames
    trimmed = minutes[minutes.ot >= predictions.ot[LOOKBACK]]
    expected = reference_labels(predictions, trimmed, 3)
    assert assets.labels[3.0].tolist() == expected
    assert len(expected) < len(predictions) - LOOKBACK  # the last candles never reach +-3 %


def test_lookback_indexer_matches_the_original(frames, assets):
    minutes, predictions = frames
    trimmed = minutes[minutes.ot >= predictions.ot[LOOKBACK]]
    expected = [int(predictions.index[predictions.ot <= ot][-1]) - LOOKBACK for ot in trimmed.ot[::97]]
    assert assets.lookback_indexer[::97].tolist() == expected
    assert assets.minutes.ot[0] == predictions.ot[LOOKBACK]


def test_feature_formula():
    x = np.array([0.5, 0.5, 0.5, 0.5, 0.5, 0.2])
    pred = np.array([0.5, 0.50004, 0.5001, 0.5025, 0.6, 0.1])
    # pct changes: 0, 0.01 (-> 0), 0.02, 0.5, 20 (clipped to 1), -50 (clipped to -1)
    expected = [0.0, 0.0, round(0.01 / 0.99, 6), round(0.49 / 0.99, 6), 1.0, -1.0]
    assert feature_from_prediction(x, pred).tolist() == expected


def test_store_roundtrip_and_json_export(tmp_path, assets):
    save_assets(assets, tmp_path)
    loaded = load_assets(tmp_path)
    assert loaded.regression_ids == assets.regression_ids
    assert np.array_equal(loaded.features, assets.features)
    assert np.array_equal(loaded.lookback_indexer, assets.lookback_indexer)
    assert {k: v.tolist() for k, v in loaded.labels.items()} == {k: v.tolist() for k, v in assets.labels.items()}
    export_json(assets, tmp_path)
    labels = json.loads((tmp_path / "labels.json").read_text())
    indexer = json.loads((tmp_path / "lookback_indexer.json").read_text())
    features = json.loads((tmp_path / "features.json").read_text())
    assert set(labels) == {"1", "3"} and labels["3"] == assets.labels[3.0].tolist()
    assert indexer[str(int(assets.minutes.ot[10]))] == int(assets.lookback_indexer[10])
    assert features[assets.regression_ids[0]] == assets.features[0].tolist()
    assert not list(tmp_path.glob(".*tmp*"))


def test_wrong_feature_length_is_refused(frames):
    minutes, predictions = frames
    with pytest.raises(AssetsError, match="KR_BAD"):
        build_assets(
            predictions=to_candles(predictions),
            minutes=to_candles(minutes),
            features={"KR_BAD": np.zeros(5)},
            lookback=LOOKBACK,
            forecast_steps=STEPS,
        )
