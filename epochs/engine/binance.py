"""Binance's public kline dumps: which files make up a range, and how to fetch them safely.

Layout (https://data.binance.vision, or a local folder with the same tree):

    data/spot/monthly/klines/<SYMBOL>/1m/<SYMBOL>-1m-YYYY-MM.zip           whole past months
    data/spot/daily/klines/<SYMBOL>/1m/<SYMBOL>-1m-YYYY-MM-DD.zip          days of the current month
    <file>.zip.CHECKSUM                                                     "<sha256>  <file>.zip"

A current month is served as the daily files published so far (up to yesterday, UTC).
"""

from __future__ import annotations

import hashlib
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Protocol

from .errors import ChecksumMismatchError, ChecksumMissingError, SourceFileMissingError

DEFAULT_BASE_URL = "https://data.binance.vision"
INTERVAL = "1m"


@dataclass(frozen=True)
class PlannedFile:
    month: str  # "YYYY-MM" the candles belong to
    day: date | None  # None for a monthly file
    path: str  # relative to the source root

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]


def month_range(start_month: str, end_month: str) -> list[str]:
    """Inclusive list of "YYYY-MM" months."""
    year, mon = _parse_month(start_month)
    last = _parse_month(end_month)
    months = []
    while (year, mon) <= last:
        months.append(f"{year:04d}-{mon:02d}")
        year, mon = (year + 1, 1) if mon == 12 else (year, mon + 1)
    return months


def _parse_month(month: str) -> tuple[int, int]:
    try:
        year, mon = (int(part) for part in month.split("-"))
    except ValueError:
        raise ValueError(f"month {month!r} is not YYYY-MM") from None
    if not 1 <= mon <= 12 or len(month) != 7:
        raise ValueError(f"month {month!r} is not YYYY-MM")
    return year, mon


def monthly_file(symbol: str, month: str) -> PlannedFile:
    return PlannedFile(month, None, f"data/spot/monthly/klines/{symbol}/{INTERVAL}/{symbol}-{INTERVAL}-{month}.zip")


def daily_files(symbol: str, month: str, until: date) -> list[PlannedFile]:
    """Daily files of ``month`` for the days before ``until`` (a day's file appears after it ends)."""
    year, mon = _parse_month(month)
    day, files = date(year, mon, 1), []
    while day < until and day.month == mon:
        files.append(
            PlannedFile(
                month, day, f"data/spot/daily/klines/{symbol}/{INTERVAL}/{symbol}-{INTERVAL}-{day.isoformat()}.zip"
            )
        )
        day += timedelta(days=1)
    return files


def plan_files(symbol: str, start_month: str, end_month: str, today: date) -> list[PlannedFile]:
    """Monthly files for whole months before ``today``'s month, daily files for its month.

    Months after ``today``'s month are left out (nothing is published for them yet).
    """
    current = f"{today.year:04d}-{today.month:02d}"
    files: list[PlannedFile] = []
    for month in month_range(start_month, end_month):
        if month < current:
            files.append(monthly_file(symbol, month))
        elif month == current:
            files.extend(daily_files(symbol, month, today))
    return files


class Source(Protocol):
    """Where dump files come from. ``fetch`` raises ``SourceFileMissingError`` for absent files."""

    def fetch(self, path: str) -> bytes: ...

    def describe(self, path: str) -> str: ...


class HttpSource:
    def __init__(self, base_url: str = DEFAULT_BASE_URL, timeout: float = 60.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def describe(self, path: str) -> str:
        return f"{self.base_url}/{path}"

    def fetch(self, path: str) -> bytes:
        url = self.describe(path)
        try:
            with urllib.request.urlopen(url, timeout=self.timeout) as response:
                return response.read()
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                raise SourceFileMissingError("not found (HTTP 404)", file=url) from exc
            raise


class LocalSource:
    """A folder laid out like the dump site (e.g. a mirror for tests and offline use)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def describe(self, path: str) -> str:
        return str(self.root / path)

    def fetch(self, path: str) -> bytes:
        try:
            return (self.root / path).read_bytes()
        except FileNotFoundError:
            raise SourceFileMissingError("no such file", file=self.describe(path)) from None


def source_for(location: str | Path) -> Source:
    """An ``HttpSource`` for http(s) URLs, else a ``LocalSource``."""
    text = str(location)
    return HttpSource(text) if text.startswith(("http://", "https://")) else LocalSource(text)


def fetch_verified(source: Source, planned: PlannedFile) -> bytes:
    """Fetch a zip and its ``.CHECKSUM`` and return the zip bytes once its sha256 matches."""
    data = source.fetch(planned.path)
    checksum_path = planned.path + ".CHECKSUM"
    try:
        checksum_raw = source.fetch(checksum_path)
    except SourceFileMissingError:
        # Not "the month is missing": its zip is here, only the file to verify it is not.
        raise ChecksumMissingError(
            f"the checksum file is missing: {planned.name} is at the source but {planned.name}.CHECKSUM is not, "
            "so it cannot be verified",
            file=source.describe(checksum_path),
        ) from None
    checksum_text = checksum_raw.decode("ascii", errors="replace").strip()
    parts = checksum_text.split()
    if len(parts) != 2 or len(parts[0]) != 64:
        raise ChecksumMismatchError(
            f"checksum file is not '<sha256>  <name>': {checksum_text[:120]!r}", file=source.describe(checksum_path)
        )
    expected, named = parts[0].lower(), parts[1]
    if named != planned.name:
        raise ChecksumMismatchError(
            f"checksum file names {named!r}, not {planned.name!r}", file=source.describe(checksum_path)
        )
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected:
        raise ChecksumMismatchError(
            f"sha256 {actual} does not match the published {expected}", file=source.describe(planned.path)
        )
    return data
