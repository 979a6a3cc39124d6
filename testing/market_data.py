"""Real BTCUSDT minutes for engine tests, plus seeded synthetic regression features.

Synthetic features are noisy views of the real future change of the close over
``forecast_steps`` prediction candles, passed through the real feature formula, so sums and
signals behave like those of trained regressions.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from prediction_models.engine.assets import Candles, feature_from_prediction

REPO = Path(__file__).resolve().parents[1]


def mirror_dir() -> Path:
    return Path(os.environ.get("BINANCE_MIRROR_DIR", REPO.parent / "shared" / "binance"))


def load_month(year: int, month: int) -> pd.DataFrame:
    path = mirror_dir() / f"data/spot/monthly/klines/BTCUSDT/1m/BTCUSDT-1m-{year}-{month:02d}.zip"
    if not path.exists():
        pytest.skip(f"real candles not found at {path} (set BINANCE_MIRROR_DIR)")
    with zipfile.ZipFile(path) as archive, archive.open(archive.namelist()[0]) as handle:
        raw = pd.read_csv(handle, header=None, usecols=[0, 1, 2, 3, 4, 6])
    raw.columns = ["ot", "o", "h", "l", "c", "ct"]
    return raw


def to_candles(df: pd.DataFrame) -> Candles:
    return Candles.from_arrays("test", df.ot, df.ct, df.o, df.h, df.l, df.c)


def resample(minutes: pd.DataFrame, interval_minutes: int) -> pd.DataFrame:
    width = interval_minutes * 60_000
    groups = minutes.groupby(minutes.ot // width)
    out = pd.DataFrame({"o": groups.o.first(), "h": groups.h.max(), "l": groups.l.min(), "c": groups.c.last()})
    out["ot"] = out.index * width
    out["ct"] = out.ot + width - 1
    return out.reset_index(drop=True)


def synthetic_features(closes: np.ndarray, lookback: int, forecast_steps: int, n: int, seed: int) -> dict:
    """``n`` regressions of increasing noise over ``F = len(closes) - lookback - forecast_steps``."""
    rng = np.random.default_rng(seed)
    norm = closes / closes.max()
    f = len(closes) - lookback - forecast_steps
    x_last = norm[lookback - 1 : lookback - 1 + f]
    future = norm[lookback - 1 + forecast_steps : lookback - 1 + forecast_steps + f]
    change = future / x_last - 1
    out = {}
    for i in range(n):
        noise = rng.normal(0, change.std() * (0.3 + 0.15 * i), f)
        pred = x_last * (1 + 0.5 * change + noise)
        out[f"KR_TEST_{i:02d}"] = feature_from_prediction(x_last, pred)
    return out
