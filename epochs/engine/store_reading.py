"""Reading a candle store (see `epochs.engine.store` for its layout and its imports)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from core.files import read_json, sha256_file

from .candles import MINUTE_MS, Candles, read_parquet
from .errors import StoreError
from .gaps import Gap, GapReport, find_gaps, gap_report
from .resample import resample

MANIFEST = "manifest.json"
FORMAT = 1


def read_manifest(store_dir: str | os.PathLike) -> dict:
    path = Path(store_dir) / MANIFEST
    if not path.exists():
        return {"format": FORMAT, "origin": None, "interval_ms": MINUTE_MS, "months": {}, "prediction": {}}
    manifest = read_json(path)
    if manifest.get("format") != FORMAT:
        raise StoreError(f"unknown store format {manifest.get('format')!r}", file=str(path))
    return manifest


def verify_store(store_dir: str | os.PathLike) -> list[str]:
    """Months whose parquet file is missing or no longer matches its recorded sha256."""
    store = Path(store_dir)
    months = read_manifest(store)["months"]
    return [month for month, entry in sorted(months.items()) if not _file_matches(store, entry)]


def load_candles(store_dir: str | os.PathLike, start_ms: int | None = None, end_ms: int | None = None) -> Candles:
    """1-minute candles with ``ot >= start_ms`` and ``ct <= end_ms`` (bounds optional)."""
    store = Path(store_dir)
    parts = []
    for _month, entry in sorted(read_manifest(store)["months"].items()):
        if (start_ms is not None and entry["last_ct"] < start_ms) or (
            end_ms is not None and entry["first_ot"] > end_ms
        ):
            continue
        parts.append(read_parquet(store / entry["file"]))
    return Candles.concat(parts).between(start_ms, end_ms)


def load_prediction_candles(store_dir: str | os.PathLike, interval_minutes: int = 15) -> Candles:
    """The bundle's own prediction candles when the store holds them, else 1m candles resampled."""
    store = Path(store_dir)
    entry = read_manifest(store).get("prediction", {}).get(str(interval_minutes))
    if entry:
        return read_parquet(store / entry["file"])
    return resample(load_candles(store), interval_minutes).candles


def store_gap_report(manifest: dict) -> GapReport:
    """Gaps inside the months plus gaps across month boundaries."""
    interval = manifest["interval_ms"]
    gaps: list[Gap] = []
    previous = None
    for _month, entry in sorted(manifest["months"].items()):
        gaps.extend(Gap(**gap) for gap in entry["gaps"])
        if previous is not None and entry["first_ot"] > previous["last_ot"] + interval:
            gaps.extend(find_gaps(np.array([previous["last_ot"], entry["first_ot"]]), interval))
        previous = entry
    return gap_report(gaps)


def _file_matches(store: Path, entry: dict) -> bool:
    path = store / entry["file"]
    return path.is_file() and sha256_file(path) == entry["sha256"]
