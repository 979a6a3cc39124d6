"""Epoch creation math, exactly as the original's ``Candlestick.build_candlesticks``.

1. ``candles_in_range = ceil(1440 / interval * ceil(epoch_width * 30))`` prediction candles.
2. Trailing SMA (``sma_window_size`` rows) of the prediction closes over the **whole** series.
3. Keep the last ``candles_in_range`` rows (error if the series is shorter or the SMA of the first
   kept row is still undefined).
4. ``highest/lowest_price_sma`` = max/min of the kept SMA; min-max normalise; the row(s) at the
   minimum (normalised 0) take the smallest positive normalised value, so ``0 < c <= 1``.
   With ``bounds_rows`` (the default preset: the rows before the holdout) the bounds come from
   those first rows only, so nothing of the holdout leaks into the scaling (ORIGINAL.md
   §12.1.1); later rows are normalised with the same bounds and may leave ``(0, 1]``, and
   Epoca refuses to predict from them (EPOCA_CONTRACT.md §3.2).
5. ``start`` = first ot, ``end`` = last ct, ``test_ds_start`` = ot of row ``int(rows * train_split)``,
   ``test_ds_end`` = end; the 1-minute candles are trimmed to ``ot >= start`` and ``ct <= end``.
"""

from __future__ import annotations

import hashlib
import math
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from core.files import atomic_path, sha256_file

from .candles import COLUMNS, PARQUET_OPTIONS, TIME_COLUMNS, Candles, read_parquet, write_parquet
from .epoch_params import EpochParams
from .errors import EpochError
from .klines import utc

EPOCH_JSON_KEYS = (
    "seed",
    "id",
    "sma_window_size",
    "train_split",
    "validation_split",
    "start",
    "end",
    "test_ds_start",
    "test_ds_end",
    "highest_price_sma",
    "lowest_price_sma",
    "regression_lookback",
    "regression_predictions",
    "exchange_fee",
    "position_size",
    "leverage",
    "idle_minutes_on_position_close",
)
# epoch.json's times, in epoch milliseconds as the contract has them (pages add their ISO 8601).
EPOCH_JSON_TIMES = ("start", "end", "test_ds_start", "test_ds_end")
CANDLE_FILES = {
    "candlesticks": "candlesticks.parquet",
    "prediction_candlesticks": "prediction_candlesticks.parquet",
    "normalized_prediction_candlesticks": "normalized_prediction_candlesticks.parquet",
}


def candles_in_range(epoch_width_months: float, interval_minutes: int) -> int:
    days = math.ceil(epoch_width_months * 30)
    return math.ceil(1440 / interval_minutes * days)


@dataclass(frozen=True, eq=False)
class EpochCandles:
    candles_1m: Candles  # trimmed to the epoch range
    prediction: Candles  # the last candles_in_range prediction candles
    sma: np.ndarray  # SMA of the prediction closes, one per kept row
    normalized: np.ndarray  # min-max normalised SMA, 0 < x <= 1
    start: int
    end: int
    test_ds_start: int
    test_ds_end: int
    highest_price_sma: float
    lowest_price_sma: float
    test_row: int  # int(rows * train_split): first row of the test dataset

    @property
    def rows(self) -> int:
        return len(self.prediction)


def build_epoch_candles(
    candles_1m: Candles,
    prediction: Candles,
    *,
    epoch_width: float,
    sma_window_size: int,
    train_split: float,
    interval_minutes: int = 15,
    bounds_rows: int | None = None,
) -> EpochCandles:
    """Trim, smooth and normalise candles for an epoch ending at the last prediction candle.

    ``bounds_rows``: how many of the first kept rows set the normalisation bounds (all when None).
    """
    needed = candles_in_range(epoch_width, interval_minutes)
    if len(prediction) < needed:
        span = f" ({utc(prediction.ot[0])} to {utc(prediction.ct[-1])})" if len(prediction) else ""
        raise EpochError(
            f"an epoch of {epoch_width} months needs {needed} prediction candles of {interval_minutes} minutes, "
            f"the data holds only {len(prediction)}{span}: the epoch is wider than the data"
        )
    sma_full = pd.Series(prediction.c).rolling(sma_window_size).mean().to_numpy()
    kept = slice(len(prediction) - needed, len(prediction))
    sma = sma_full[kept]
    if np.isnan(sma).any():
        raise EpochError(
            f"the SMA of {sma_window_size} candles needs {sma_window_size - 1} prediction candles before the epoch "
            f"start; the data holds only {len(prediction) - needed}"
        )
    bounds_rows = needed if bounds_rows is None else int(bounds_rows)
    if not 1 < bounds_rows <= needed:
        raise EpochError(f"the normalisation bounds need 2 to {needed} rows, got {bounds_rows}")
    bounded = sma[:bounds_rows]
    highest, lowest = float(bounded.max()), float(bounded.min())
    if highest == lowest:
        raise EpochError("the SMA is constant over the epoch: it cannot be normalised")
    normalized = (sma - lowest) / (highest - lowest)
    inside = normalized[:bounds_rows]  # a view: the fix below changes ``normalized``
    at_minimum = inside == 0
    inside[at_minimum] = inside[~at_minimum].min()
    if not (np.all(inside > 0) and np.all(inside <= 1)):
        raise EpochError("normalised SMA is outside (0, 1]")

    trimmed = prediction.take(kept)
    start, end = int(trimmed.ot[0]), int(trimmed.ct[-1])
    test_row = int(needed * train_split)
    one_minute = candles_1m.between(start, end)
    if len(one_minute) == 0:
        raise EpochError(f"no 1-minute candles between {utc(start)} and {utc(end)}")
    return EpochCandles(
        candles_1m=one_minute,
        prediction=trimmed,
        sma=sma,
        normalized=normalized,
        start=start,
        end=end,
        test_ds_start=int(trimmed.ot[test_row]),
        test_ds_end=end,
        highest_price_sma=highest,
        lowest_price_sma=lowest,
        test_row=test_row,
    )


@dataclass(frozen=True)
class WindowSplit:
    """Regression windows over ``rows`` normalised closes (original §1.5).

    Window ``j`` has ``i = j + lookback``, ``x = c[i - lookback : i]`` and ``y = c[i : i + predictions]``
    for ``i`` in ``[lookback, rows - predictions)``. The original trains on ``windows[:test_row]`` and
    tests on ``windows[test_row:]``. With the purge, training keeps only windows whose targets end
    before ``test_ds_start`` (``i + predictions <= test_row``): ``windows[:purged_train_end]``.
    """

    rows: int
    lookback: int
    predictions: int
    window_count: int  # rows - lookback - predictions
    test_row: int  # int(rows * train_split): original train/test cut on the window array
    purged_train_end: int  # first training window whose targets reach test_ds_start

    @property
    def purged_windows(self) -> int:
        return max(0, min(self.test_row, self.window_count) - self.purged_train_end)


def window_split(rows: int, train_split: float, lookback: int, predictions: int) -> WindowSplit:
    test_row = int(rows * train_split)
    return WindowSplit(
        rows=rows,
        lookback=lookback,
        predictions=predictions,
        window_count=max(0, rows - lookback - predictions),
        test_row=test_row,
        purged_train_end=max(0, test_row - lookback - predictions + 1),
    )


def data_fingerprint(candles_1m: Candles, prediction: Candles) -> str:
    """sha256 of the epoch's candles in canonical form.

    For the 1-minute candles, then the prediction candles: the row count as little-endian int64,
    then the columns ot, ct (little-endian int64) and o, h, l, c, v (little-endian float64).
    """
    digest = hashlib.sha256()
    for candles in (candles_1m, prediction):
        digest.update(np.int64(len(candles)).astype("<i8").tobytes())
        for name in COLUMNS:
            dtype = "<i8" if name in TIME_COLUMNS else "<f8"
            digest.update(np.ascontiguousarray(getattr(candles, name), dtype=dtype).tobytes())
    return digest.hexdigest()


def epoch_json(params: EpochParams, epoch: EpochCandles) -> dict:
    """``epoch.json`` with exactly the original's keys, in its order."""
    values = {
        **params.to_dict(),
        "start": epoch.start,
        "end": epoch.end,
        "test_ds_start": epoch.test_ds_start,
        "test_ds_end": epoch.test_ds_end,
        "highest_price_sma": epoch.highest_price_sma,
        "lowest_price_sma": epoch.lowest_price_sma,
    }
    position_size = float(values["position_size"])
    values["position_size"] = int(position_size) if position_size.is_integer() else position_size
    return {key: values[key] for key in EPOCH_JSON_KEYS}


def format_utc(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%d/%m/%Y, %H:%M:%S UTC")


def receipt_text(params: EpochParams, epoch: EpochCandles, created_at: datetime) -> str:
    """The epoch receipt (original §2.4), with every date in UTC."""
    created_ms = int(created_at.timestamp() * 1000)
    lines = [
        params.id,
        "",
        f"Creation: {format_utc(created_ms)}",
        f"Seed: {params.seed}",
        f"Train Split: {params.train_split}",
        f"Validation Split: {params.validation_split}",
        f"Regression Lookback: {params.regression_lookback}",
        f"Regression Predictions: {params.regression_predictions}",
        f"Exchange Fee: {params.exchange_fee}%",
        f"Position Size: ${params.position_size:g}",
        f"Leverage: {params.leverage}x",
        f"Idle Minutes On Position Close: {params.idle_minutes_on_position_close}",
        "",
        "Price SMA Range",
        f"Highest: {epoch.highest_price_sma}",
        f"Lowest: {epoch.lowest_price_sma}",
        "",
        "Epoch Range",
        f"Start: {format_utc(epoch.start)}",
        f"End: {format_utc(epoch.end)}",
        "",
        "Test Dataset Range",
        f"Start: {format_utc(epoch.test_ds_start)}",
        f"End: {format_utc(epoch.test_ds_end)}",
    ]
    return "\n".join(lines) + "\n"


def write_epoch_candles(epoch: EpochCandles, directory: str | os.PathLike) -> dict[str, str]:
    """Write the epoch's 1m, prediction and normalised candles (parquet, atomically).

    Returns file name -> sha256.
    """
    directory = Path(directory)
    write_parquet(epoch.candles_1m, directory / CANDLE_FILES["candlesticks"])
    write_parquet(epoch.prediction, directory / CANDLE_FILES["prediction_candlesticks"])
    normalized = pa.table({"ot": epoch.prediction.ot, "ct": epoch.prediction.ct, "c": epoch.normalized})
    with atomic_path(directory / CANDLE_FILES["normalized_prediction_candlesticks"]) as tmp:
        pq.write_table(normalized, tmp, **PARQUET_OPTIONS)
    return {name: sha256_file(directory / name) for name in CANDLE_FILES.values()}


def read_epoch_candles(directory: str | os.PathLike) -> tuple[Candles, Candles, np.ndarray]:
    """(1-minute candles, prediction candles, normalised closes) written by ``write_epoch_candles``."""
    directory = Path(directory)
    normalized = pq.read_table(directory / CANDLE_FILES["normalized_prediction_candlesticks"], columns=["c"])
    return (
        read_parquet(directory / CANDLE_FILES["candlesticks"]),
        read_parquet(directory / CANDLE_FILES["prediction_candlesticks"]),
        normalized.column("c").to_numpy(),
    )
