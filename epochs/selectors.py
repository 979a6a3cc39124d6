"""Reads of epochs and candle stores."""
from __future__ import annotations

import os

from django.db.models import QuerySet

from core.files import read_json
from epochs.choices import EpochStatus
from epochs.engine import epoch as epoch_engine
from epochs.engine import store as candle_store
from epochs.models import CandlestickSet, Epoch, EpochExport
from epochs.services.paths import candle_store_dir, epoch_dir


def epoch_list() -> QuerySet[Epoch]:
    return Epoch.objects.select_related("candlestick_set", "created_by").order_by("-created")


def default_epoch(epochs: QuerySet[Epoch], requested: str | None = None) -> Epoch | None:
    """The epoch a page shows: the one asked for, else the newest built one (never a failed or unbuilt one)."""
    return (epochs.filter(pk=requested).first() if requested else None) or epochs.filter(
        status__in=(EpochStatus.READY, EpochStatus.EXPORTED)).first()


def candlestick_set_list() -> QuerySet[CandlestickSet]:
    return CandlestickSet.objects.order_by("name")


def epoch_receipt(epoch: Epoch) -> str:
    path = epoch_dir(epoch.id) / f"{epoch.id}_receipt.txt"
    return path.read_text() if path.exists() else ""


def epoch_config(epoch: Epoch) -> dict | None:
    path = epoch_dir(epoch.id) / "epoch.json"
    return read_json(path) if path.exists() else None


def epoch_candles(epoch: Epoch):
    """(1m candles, prediction candles, normalised closes) of a created epoch."""
    return epoch_engine.read_epoch_candles(epoch_dir(epoch.id) / "candlesticks")


def store_candles(candle_set: CandlestickSet, interval_minutes: int = 15):
    return candle_store.load_prediction_candles(candle_store_dir(candle_set.name), interval_minutes)


def epoch_export_list() -> QuerySet[EpochExport]:
    return EpochExport.objects.select_related("epoch", "created_by").order_by("-created")


def epoch_disk_usage(epoch: Epoch) -> int:
    """Bytes under the epoch's folder (0 when it has none)."""
    folder = epoch_dir(epoch.id)
    total = 0
    for directory, _dirs, files in os.walk(folder):
        for name in files:
            try:
                total += os.lstat(os.path.join(directory, name)).st_size
            except FileNotFoundError:
                continue
    return total
