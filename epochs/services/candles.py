"""Candlestick imports: the only writer of candle stores and CandlestickSet rows."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from cluster.services.jobs import job_enqueue
from core.errors import ApplicationError
from epochs.engine import store as candle_store
from epochs.engine.binance import source_for
from epochs.engine.errors import CandleImportError
from epochs.models import CandlestickSet
from epochs.services.paths import candle_store_dir

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from cluster.models import Job
    from epochs.engine.store import Progress

MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
DEFAULT_SET = "binance-btcusdt"
DEFAULT_SYMBOL = "BTCUSDT"


def candlestick_set_get_or_create(*, name: str = DEFAULT_SET, symbol: str = DEFAULT_SYMBOL) -> CandlestickSet:
    candle_set, _ = CandlestickSet.objects.get_or_create(name=name, defaults={"symbol": symbol})
    return candle_set


@transaction.atomic
def candle_import_enqueue(
    *,
    start_month: str,
    end_month: str,
    source: str | None = None,
    name: str = DEFAULT_SET,
    symbol: str = DEFAULT_SYMBOL,
    user: User | None = None,
    inline: bool = False,
) -> Job:
    """Queue an import of Binance klines (monthly files, daily ones for the current month) of
    ``symbol`` into the set ``name``; a set keeps the one symbol it was created with."""
    for label, month in (("start_month", start_month), ("end_month", end_month)):
        if not MONTH.match(month or ""):
            raise ApplicationError(f"{label} must look like YYYY-MM (got {month!r}).")
    if start_month > end_month:
        raise ApplicationError(f"start_month {start_month} is after end_month {end_month}.")
    candle_set = candlestick_set_get_or_create(name=name, symbol=symbol)
    if candle_set.symbol != symbol:
        raise ApplicationError(f"Candlestick set {name!r} holds {candle_set.symbol}, not {symbol}: choose another set.")
    return job_enqueue(
        kind="epochs.import_candles",
        target=candle_set,
        params={"source": source or settings.CANDLESTICK_SOURCE, "start_month": start_month, "end_month": end_month},
        user=user,
        dedup_key=f"import:{candle_set.name}",
        inline=inline,
    )


@transaction.atomic
def bundle_import_enqueue(*, path: str, name: str, user: User | None = None, inline: bool = False) -> Job:
    """Queue an import of the original tool's candlestick bundle (folder or zip)."""
    candle_set = candlestick_set_get_or_create(name=name)
    return job_enqueue(
        kind="epochs.import_bundle",
        target=candle_set,
        params={"path": str(path)},
        user=user,
        dedup_key=f"import:{candle_set.name}",
        inline=inline,
    )


def candle_import_run(*, candle_set: CandlestickSet, params: dict, progress: Progress) -> dict:
    """Run one import (called by the job handler) and refresh the set's summary."""
    store = candle_store_dir(candle_set.name)
    if "path" in params:
        report = candle_store.import_bundle(params["path"], store, progress=progress)
        source = params["path"]
    else:
        report = candle_store.import_binance(
            source_for(params["source"]),
            store,
            params["start_month"],
            params["end_month"],
            symbol=candle_set.symbol,
            progress=progress,
        )
        source = params["source"]
    candle_set_refresh(candle_set=candle_set, source=source)
    return report.to_dict()


def candle_import_job(
    *, candle_set: CandlestickSet, params: dict, progress: Progress, log: Callable[[str], None] = lambda message: None
) -> dict:
    """The import job: run it, log what it did, and keep its report short enough for the job's result."""
    try:
        report = candle_import_run(candle_set=candle_set, params=params, progress=progress)
    except CandleImportError as exc:
        raise ApplicationError(f"{exc} (the months before it are stored; a retry resumes there)") from None
    log(
        f"imported {len(report['months_imported'])} months ({report['candles_imported']} candles), "
        f"skipped {len(report['months_skipped'])}; store: {report['candles_total']} candles, "
        f"{report['gaps']['count']} gaps, {len(report['flags'])} flagged candles"
    )
    for conversion in report["unit_conversions"]:
        log(f"{conversion['file']}: timestamps in {conversion['unit']}, converted to ms")
    report["gaps"]["gaps"] = report["gaps"]["gaps"][:200]
    report["flags"] = report["flags"][:200]
    return report


def candle_set_refresh(*, candle_set: CandlestickSet, source: str | None = None) -> CandlestickSet:
    """Summarise the store on disk into the row (counts, coverage, gaps, flags)."""
    store = candle_store_dir(candle_set.name)
    manifest = candle_store.read_manifest(store)
    months = manifest["months"]
    gaps = candle_store.store_gap_report(manifest)
    flags = [flag for entry in months.values() for flag in entry.get("flags", [])]
    conversions = [s for entry in months.values() for s in entry.get("sources", []) if s.get("unit", "ms") != "ms"]
    candle_set.months = len(months)
    candle_set.candles = sum(entry["rows"] for entry in months.values())
    candle_set.first_open_time = min((e["first_ot"] for e in months.values()), default=None)
    candle_set.last_close_time = max((e["last_ct"] for e in months.values()), default=None)
    gap_dict = gaps.to_dict()
    candle_set.gap_count = gap_dict["count"]
    candle_set.gap_minutes = gap_dict["missing_minutes"]
    candle_set.longest_gap_minutes = (gap_dict.get("longest") or {}).get("minutes", 0)
    candle_set.flagged_candles = len(flags)
    candle_set.report = {
        "gaps": gap_dict,
        "flags": flags[:1000],
        "unit_conversions": conversions,
        "months": sorted(months),
    }
    if source:
        candle_set.source = source
    candle_set.last_import = timezone.now()
    candle_set.save()
    return candle_set
