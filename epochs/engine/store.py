"""A candle store on disk: 1-minute candles as one parquet file per UTC month, plus a manifest.

Layout of ``store_dir`` (read by `store_reading`, whose functions this module offers too)::

    manifest.json                      months, rows, sha256, gaps, flags, timestamp units
    1m/YYYY-MM.<sha12>.parquet         one file per month (named by content, never overwritten)
    prediction/<N>m.<sha12>.parquet    prediction candles of an imported bundle (bundle stores only)

Each month of an import is a transaction. Its files are fetched, verified, parsed and validated
and the month file is written to a staging folder first; continuity across month boundaries is
checked against the months already stored. Only then is the file moved into place and the
manifest (the commit point) replaced atomically, month by month in calendar order. A failure
leaves the store as it was after the last committed month. Months already stored whose file
still matches its sha256 are skipped, so an interrupted import resumes where it stopped and a
later import brings the store up to date. Staging folders left by a killed import are removed
when the next import takes the store's lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import itertools
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np

from core.files import sha256_file, write_json

from .binance import PlannedFile, Source, daily_files, fetch_verified, plan_files
from .candles import Candles, read_parquet, write_parquet
from .errors import SourceFileMissingError, StoreError
from .gaps import GapReport, find_gaps
from .klines import Flag, ParsedCandles, month_bounds_ms, parse_binance_csv, read_bundle, read_zip_member, utc
from .store_reading import (
    FORMAT,
    MANIFEST,
    _file_matches,
    load_candles,
    load_prediction_candles,
    read_manifest,
    store_gap_report,
    verify_store,
)

__all__ = [
    "FORMAT",
    "MANIFEST",
    "STAGING_PREFIX",
    "ImportReport",
    "Progress",
    "UnitConversion",
    "import_binance",
    "import_bundle",
    "load_candles",
    "load_prediction_candles",
    "read_manifest",
    "read_parquet",
    "remove_staging",
    "store_gap_report",
    "verify_store",
]

STAGING_PREFIX = ".staging-"
Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class UnitConversion:
    file: str
    unit: str  # the file's unit, converted to ms ("us" or "s")

    def to_dict(self) -> dict:
        return {"file": self.file, "unit": self.unit}


@dataclass(frozen=True)
class ImportReport:
    store_dir: str
    months_imported: tuple[str, ...]
    months_skipped: tuple[str, ...]  # already stored and verified
    months_repaired: tuple[str, ...]  # stored file failed verification, re-imported
    candles_imported: int
    candles_total: int  # whole store after the import
    first_ot: int | None
    last_ct: int | None
    gaps: GapReport  # whole store, across month boundaries
    flags: tuple[Flag, ...]  # candles flagged in the imported files
    unit_conversions: tuple[UnitConversion, ...]
    missing_files: tuple[str, ...]  # daily files not published yet (their month stays incomplete)
    seconds: float

    def to_dict(self) -> dict:
        return {
            "store_dir": self.store_dir,
            "months_imported": list(self.months_imported),
            "months_skipped": list(self.months_skipped),
            "months_repaired": list(self.months_repaired),
            "candles_imported": self.candles_imported,
            "candles_total": self.candles_total,
            "first_ot": self.first_ot,
            "last_ct": self.last_ct,
            "gaps": self.gaps.to_dict(),
            "flags": [flag.to_dict() for flag in self.flags],
            "unit_conversions": [conversion.to_dict() for conversion in self.unit_conversions],
            "missing_files": list(self.missing_files),
            "seconds": self.seconds,
        }


@dataclass(frozen=True)
class _Staged:
    """A month validated and written to the staging folder, waiting for the commit."""

    month: str
    path: Path
    entry: dict
    flags: tuple[Flag, ...]


# ----------------------------------------------------------------------------------------------
# Importing


def import_binance(
    source: Source,
    store_dir: str | os.PathLike,
    start_month: str,
    end_month: str,
    *,
    symbol: str = "BTCUSDT",
    today: date | None = None,
    progress: Progress | None = None,
    workers: int = 2,
) -> ImportReport:
    """Bring the store's months ``start_month..end_month`` (inclusive, "YYYY-MM") up to date.

    Past months come from monthly files (or from daily files when the monthly one is not
    published yet); ``today``'s month (UTC) from the daily files published so far, and it stays
    marked incomplete so the next import refreshes it. ``workers`` months are fetched, parsed
    and staged at once (decompression, parsing and parquet writing release the GIL).
    """
    started = time.monotonic()
    today = today or datetime.now(UTC).date()
    with _transaction(store_dir) as (store, manifest, staging):
        _claim_origin(manifest, f"binance:{symbol}", store)
        planned: dict[str, list[PlannedFile]] = {}
        for planned_file in plan_files(symbol, start_month, end_month, today):
            planned.setdefault(planned_file.month, []).append(planned_file)
        skipped, repaired = [], []
        for month in list(planned):
            entry = manifest["months"].get(month)
            if entry and entry["complete"]:
                if _file_matches(store, entry):
                    skipped.append(month)
                    del planned[month]
                else:
                    repaired.append(month)
        staged, missing = [], []
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            futures = [
                pool.submit(_load_month, source, symbol, month, files, today, staging, manifest["interval_ms"])
                for month, files in planned.items()
            ]
            try:
                for done, future in enumerate(futures, start=1):
                    month_staged, month_missing = future.result()
                    # Committed at once, in calendar order: a retry skips the months stored so far.
                    _apply(store, manifest, month_staged)
                    staged.extend(month_staged)
                    missing.extend(month_missing)
                    if progress:
                        progress(done, len(futures), f"month {list(planned)[done - 1]}")
            except BaseException:
                for future in futures:
                    future.cancel()
                raise
        return _report(store, manifest, staged, skipped, repaired, missing, started)


def _load_month(
    source: Source, symbol: str, month: str, files: list[PlannedFile], today: date, staging: Path, interval_ms: int
) -> tuple[list[_Staged], list[str]]:
    """Fetch, verify, parse and stage one month; returns (staged month or nothing, missing daily files)."""
    parsed: list[tuple[ParsedCandles, dict]] = []
    missing: list[str] = []
    complete = month < f"{today.year:04d}-{today.month:02d}"
    queue = list(files)
    while queue:
        planned_file = queue.pop(0)
        try:
            data = fetch_verified(source, planned_file)
        except SourceFileMissingError:
            if planned_file.day is None:  # monthly file not published yet: use its days
                queue = daily_files(symbol, month, min(today, _month_end_day(month)))
                continue
            if complete and not parsed:
                # A past month must be at the source, as its monthly file or its daily files.
                raise SourceFileMissingError(
                    f"month {month} is not at the source: neither its monthly file nor this daily file exists",
                    file=source.describe(planned_file.path),
                ) from None
            missing.append(source.describe(planned_file.path))
            complete = False
            break  # later days cannot follow a missing one (not published yet)
        name = source.describe(planned_file.path)
        candles = parse_binance_csv(read_zip_member(data, name), name, month=month)
        parsed.append(
            (candles, {"name": planned_file.name, "sha256": hashlib.sha256(data).hexdigest(), "unit": candles.unit})
        )
    if not parsed:
        return [], missing
    for (before, _), (after, _) in itertools.pairwise(parsed):
        if after.candles.ot[0] <= before.candles.ct[-1]:
            raise StoreError(
                f"first candle ({utc(after.candles.ot[0])}) is not after the last candle of {before.file}",
                file=after.file,
            )
    joined = Candles.concat([p.candles for p, _ in parsed])
    flags = [flag for p, _ in parsed for flag in p.flags]
    return [_stage(month, joined, [source for _, source in parsed], flags, complete, staging, interval_ms)], missing


def import_bundle(
    path: str | os.PathLike, store_dir: str | os.PathLike, *, progress: Progress | None = None
) -> ImportReport:
    """Import the original's candlestick bundle (folder or zip) into an empty or bundle store.

    The 1-minute candles are stored by month like a Binance import; the bundle's own prediction
    candles are kept beside them so an epoch built from a bundle uses exactly those. The bundle
    is a complete snapshot: stored months it does not hold are dropped.
    """
    started = time.monotonic()
    path = Path(path)
    with _transaction(store_dir) as (store, manifest, staging):
        _claim_origin(manifest, "bundle", store)
        if progress:
            progress(0, 2, f"reading {path.name}")
        bundle = read_bundle(path)
        source = {"name": path.name, "sha256": sha256_file(path) if path.is_file() else None}
        one_minute = bundle.candles_1m.candles
        staged = []
        for month in _months_of(one_minute.ot):
            start, end = month_bounds_ms(month)
            chunk = one_minute.between(start, end - 1)
            flags = [flag for flag in bundle.candles_1m.flags if start <= flag.ot < end]
            sources = [{**source, "file": bundle.candles_1m.file, "unit": bundle.candles_1m.unit}]
            complete = int(one_minute.ct[-1]) + 1 >= end
            staged.append(_stage(month, chunk, sources, flags, complete, staging, manifest["interval_ms"]))
        prediction = bundle.prediction
        interval = str(bundle.prediction_interval_minutes)
        tmp = staging / f"prediction-{interval}m.parquet"
        write_parquet(prediction.candles, tmp)
        digest = sha256_file(tmp)
        manifest["prediction"] = {
            interval: {
                "file": f"prediction/{interval}m.{digest[:12]}.parquet",
                "rows": len(prediction.candles),
                "sha256": digest,
                "first_ot": int(prediction.candles.ot[0]),
                "last_ct": int(prediction.candles.ct[-1]),
                "unit": prediction.unit,
                "flags": [flag.to_dict() for flag in prediction.flags],
                "source": source,
            }
        }
        manifest["months"] = {}
        if progress:
            progress(1, 2, "committing")
        report = _commit(
            store, manifest, staged, [], [], [], started, extra_moves={tmp: manifest["prediction"][interval]["file"]}
        )
        if progress:
            progress(2, 2, "done")
        return report


# ----------------------------------------------------------------------------------------------
# Transaction internals


@contextlib.contextmanager
def _transaction(store_dir: str | os.PathLike) -> Iterator[tuple[Path, dict, Path]]:
    """Lock the store, give a staging folder; on any failure undo everything."""
    store = Path(store_dir)
    created = not store.exists()
    store.mkdir(parents=True, exist_ok=True)
    lock = os.open(store, os.O_RDONLY)
    try:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StoreError("another import is writing this store", file=str(store)) from None
        remove_staging(store)  # holding the lock: any staging folder is a killed import's
        staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=store))
        try:
            yield store, read_manifest(store), staging
        except BaseException:
            if created and not (store / MANIFEST).exists():  # nothing was committed: leave no empty store
                shutil.rmtree(store, ignore_errors=True)
            raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    finally:
        os.close(lock)


def remove_staging(store: Path) -> list[str]:
    """Remove the staging folders of imports that did not end (call with the store's lock held)."""
    removed = []
    for folder in store.glob(f"{STAGING_PREFIX}*"):
        if folder.is_dir():
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder.name)
    return removed


def _claim_origin(manifest: dict, origin: str, store: Path) -> None:
    if manifest["origin"] not in (None, origin) and manifest["months"]:
        raise StoreError(
            f"store holds candles from {manifest['origin']}, not {origin}; use another store", file=str(store)
        )
    manifest["origin"] = origin


def _stage(
    month: str,
    candles: Candles,
    sources: list[dict],
    flags: list[Flag],
    complete: bool,
    staging: Path,
    interval_ms: int,
) -> _Staged:
    path = staging / f"{month}.parquet"
    write_parquet(candles, path)
    digest = sha256_file(path)
    entry = {
        "file": f"1m/{month}.{digest[:12]}.parquet",
        "rows": len(candles),
        "sha256": digest,
        "first_ot": int(candles.ot[0]),
        "last_ot": int(candles.ot[-1]),
        "last_ct": int(candles.ct[-1]),
        "complete": complete,
        "sources": sources,
        "gaps": [gap.to_dict() for gap in find_gaps(candles.ot, interval_ms)],
        "flags": [flag.to_dict() for flag in flags],
    }
    return _Staged(month, path, entry, tuple(flags))


def _commit(
    store: Path,
    manifest: dict,
    staged: list[_Staged],
    skipped: list[str],
    repaired: list[str],
    missing: list[str],
    started: float,
    extra_moves: dict[Path, str] | None = None,
) -> ImportReport:
    """Commit every staged month at once and report (bundle imports: a bundle is one snapshot)."""
    _apply(store, manifest, staged, extra_moves)
    return _report(store, manifest, staged, skipped, repaired, missing, started)


def _apply(store: Path, manifest: dict, staged: list[_Staged], extra_moves: dict[Path, str] | None = None) -> None:
    """Check continuity, move staged files into place, then replace the manifest (the commit point)."""
    if not staged and not extra_moves:
        return
    moves = dict(extra_moves or {})
    for item in staged:
        manifest["months"][item.month] = item.entry
        moves[item.path] = item.entry["file"]
    _check_continuity(manifest, store)

    moved: list[Path] = []
    try:
        for tmp, relative in moves.items():
            target = store / relative
            if target.exists() and sha256_file(target) == sha256_file(tmp):
                continue  # the same content is already stored under its hash name
            target.parent.mkdir(exist_ok=True)
            os.replace(tmp, target)
            moved.append(target)
        write_json(store / MANIFEST, manifest, indent=1)  # the commit point
    except BaseException:
        for target in moved:
            target.unlink(missing_ok=True)
        raise
    _remove_unreferenced(store, manifest)


def _report(
    store: Path,
    manifest: dict,
    staged: list[_Staged],
    skipped: list[str],
    repaired: list[str],
    missing: list[str],
    started: float,
) -> ImportReport:
    imported = sorted(item.month for item in staged)
    months = manifest["months"]
    first, last = (min(months), max(months)) if months else (None, None)
    return ImportReport(
        store_dir=str(store),
        months_imported=tuple(imported),
        months_skipped=tuple(sorted(skipped)),
        months_repaired=tuple(sorted(repaired)),
        candles_imported=sum(item.entry["rows"] for item in staged),
        candles_total=sum(entry["rows"] for entry in months.values()),
        first_ot=months[first]["first_ot"] if first else None,
        last_ct=months[last]["last_ct"] if last else None,
        gaps=store_gap_report(manifest),
        flags=tuple(flag for item in staged for flag in item.flags),
        unit_conversions=tuple(
            UnitConversion(source["name"], source["unit"])
            for item in staged
            for source in item.entry["sources"]
            if source["unit"] != "ms"
        ),
        missing_files=tuple(missing),
        seconds=round(time.monotonic() - started, 3),
    )


def _check_continuity(manifest: dict, store: Path) -> None:
    """Each month's first candle must open after the previous stored month's last close."""
    entries = sorted(manifest["months"].items())
    for (prev_month, prev), (month, entry) in itertools.pairwise(entries):
        if entry["first_ot"] <= prev["last_ct"]:
            raise StoreError(
                f"month {month} starts at {utc(entry['first_ot'])}, not after the end of {prev_month} "
                f"({utc(prev['last_ct'])})",
                file=str(store),
            )


def _remove_unreferenced(store: Path, manifest: dict) -> None:
    referenced = {entry["file"] for entry in manifest["months"].values()}
    referenced |= {entry["file"] for entry in manifest.get("prediction", {}).values()}
    for folder in ("1m", "prediction"):
        for path in (store / folder).glob("*.parquet") if (store / folder).is_dir() else ():
            if f"{folder}/{path.name}" not in referenced:
                path.unlink(missing_ok=True)


def _months_of(ot: np.ndarray) -> list[str]:
    return [str(month) for month in np.unique(ot.astype("datetime64[ms]").astype("datetime64[M]"))]


def _month_end_day(month: str) -> date:
    """The day after the month's last day."""
    end_ms = month_bounds_ms(month)[1]
    return datetime.fromtimestamp(end_ms / 1000, tz=UTC).date()
