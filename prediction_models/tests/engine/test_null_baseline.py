"""The null baseline: on features without skill, its pass rate is the search's own, within 2 points."""

import dataclasses

import numpy as np
import pandas as pd

from prediction_models.engine import backtest as fast
from prediction_models.engine.assets import build_assets, feature_from_prediction
from prediction_models.engine.config_space import ConfigSpace
from prediction_models.engine.overfitting import feature_day_permutation
from prediction_models.engine.trading import BacktestSettings
from testing.market_data import load_month, resample, to_candles

LOOKBACK, STEPS = 32, 8


def skill_less_assets(regressions: int, seed: int, shared_share: float = 0.0):
    """Two months of real candles; forecasts that are smooth noise (a ``shared_share`` of its
    variance common to the regressions), blind to the prices that follow."""
    minutes = pd.concat([load_month(2022, 6), load_month(2022, 7)], ignore_index=True)
    predictions = resample(minutes, 15)
    closes = predictions.c.to_numpy()
    f = len(closes) - LOOKBACK - STEPS
    x_last = closes[LOOKBACK - 1 : LOOKBACK - 1 + f]
    rng = np.random.default_rng(seed)

    def smooth() -> np.ndarray:
        out = np.empty(f)
        level = 0.0
        for i, shock in enumerate(rng.normal(0, np.sqrt(1 - 0.8**2), f)):
            level = 0.8 * level + shock
            out[i] = level
        return out

    shared = smooth()
    features = {
        f"KR_NULL_{i:02d}": feature_from_prediction(
            x_last, x_last * (1 + 0.01 * (np.sqrt(shared_share) * shared + np.sqrt(1 - shared_share) * smooth()))
        )
        for i in range(regressions)
    }
    return build_assets(
        predictions=to_candles(predictions),
        minutes=to_candles(minutes),
        features=features,
        lookback=LOOKBACK,
        forecast_steps=STEPS,
        pcrs=(1,),
    )


def pass_rate(assets, space, settings, thresholds) -> float:
    summary = fast.evaluate_chunk(assets, space, 0, len(space), settings)
    return float(thresholds.passed(summary).mean())


def test_the_null_baseline_passes_as_many_configs_as_a_search_on_skill_less_features():
    """Four skill-less feature sets: the search's pass rate and its null baseline's (the mean of
    three seeds) agree within 2 points, on average over the sets (one search's pass rate is one
    draw of strongly dependent configs: a single set may differ by more)."""
    settings = BacktestSettings(idle_minutes=60)
    thresholds = fast.Thresholds(min_accuracy=55, min_profit=0)
    real, null = [], []
    for data_seed in (1, 2, 3, 4):
        assets = skill_less_assets(30, seed=data_seed)
        space = ConfigSpace(assets.regression_ids, 2, pcrs=(1,), msfs=("mean", "median"), msafs=(1, 1.5, 2))
        real.append(pass_rate(assets, space, settings, thresholds))
        rates = []
        for seed in (1, 2, 3):  # as the search's null jobs do, one permutation per seed
            order = feature_day_permutation(assets.minutes.ot, assets.lookback_indexer, assets.features_num, seed)
            permuted = dataclasses.replace(assets, features=np.ascontiguousarray(assets.features[:, order]))
            rates.append(pass_rate(permuted, space, settings, thresholds))
        assert len(set(rates)) == 3  # each seed is another search
        null.append(np.mean(rates))
    assert len(space) == 2610 and all(0.01 < r < 0.5 for r in real)  # the filter lets some configs through
    assert abs(np.mean(null) - np.mean(real)) <= 0.02, (real, null)
