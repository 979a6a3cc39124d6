"""What the epoch pages show that lives in the epoch's folder: read here, so views read no files."""

from __future__ import annotations

import dataclasses
import os

import numpy as np

from core.errors import ApplicationError
from core.files import read_json
from epochs.engine import epoch as epoch_engine
from epochs.engine import store as candle_store
from epochs.engine.candles import Candles
from epochs.engine.ranges import EpochRanges, epoch_ranges
from epochs.models import CandlestickSet, Epoch
from epochs.services.paths import candle_store_dir, epoch_dir, epoch_layout


def folder_bytes(epoch_id: str) -> int:
    """Bytes under the epoch's folder (0 when it has none)."""
    total = 0
    for directory, _dirs, files in os.walk(epoch_dir(epoch_id)):
        for name in files:
            try:
                total += os.lstat(os.path.join(directory, name)).st_size
            except FileNotFoundError:
                continue
    return total


def epoch_disk_usage_record(*, epoch: Epoch | str) -> int:
    """Measure the epoch's folder and store it on the row (every writer of the folder calls this)."""
    epoch_id = epoch if isinstance(epoch, str) else epoch.pk
    size = folder_bytes(epoch_id)
    Epoch.objects.filter(pk=epoch_id).update(disk_bytes=size)
    if isinstance(epoch, Epoch):
        epoch.disk_bytes = size
    return size


@dataclasses.dataclass(frozen=True)
class EpochCharts:
    """The series of a built epoch's charts, with the SMA scaled back from the normalised closes."""

    prediction: object
    sma: np.ndarray
    normalized: np.ndarray
    ranges: EpochRanges


@dataclasses.dataclass(frozen=True)
class EpochPage:
    receipt: str
    config: dict | None
    disk_usage: int
    charts: EpochCharts | None


def epoch_charts(epoch: Epoch) -> EpochCharts:
    _, prediction, normalized = epoch_engine.read_epoch_candles(epoch_layout(epoch.id).candlesticks)
    ranges = epoch_ranges(
        rows=len(prediction),
        train_split=epoch.train_split,
        lookback=epoch.regression_lookback,
        predictions=epoch.regression_predictions,
        holdout_share=epoch.holdout_share,
        purge=epoch.purge,
    )
    # The SMA is the normalised series scaled back (the row at the minimum shows the
    # zero-avoidance value, a hair above the true minimum).
    high, low = epoch.highest_price_sma, epoch.lowest_price_sma
    if high is None or low is None:
        raise ApplicationError(
            f"Epoch {epoch.id} has no SMA bounds (highest_price_sma, lowest_price_sma): build it first."
        )
    sma = normalized * (high - low) + low
    return EpochCharts(prediction, sma, normalized, ranges)


def epoch_page(epoch: Epoch) -> EpochPage:
    """The receipt, epoch.json, the folder's size (measured now: the delete button states it) and the charts."""
    layout = epoch_layout(epoch.id)
    receipt, config = layout.receipt, layout.epoch_json
    return EpochPage(
        receipt=receipt.read_text() if receipt.exists() else "",
        config=read_json(config) if config.exists() else None,
        disk_usage=folder_bytes(epoch.id),
        charts=epoch_charts(epoch) if epoch.is_ready else None,
    )


def store_candles(candle_set: CandlestickSet, interval_minutes: int = 15) -> Candles:
    """The candle store's prediction candles of ``interval_minutes`` (the candles page charts them)."""
    return candle_store.load_prediction_candles(candle_store_dir(candle_set.name), interval_minutes)
