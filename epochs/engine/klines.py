"""Parse and validate candle CSVs: Binance kline dumps and the original's candlestick bundle.

Parsing is done by pyarrow's multi-threaded CSV reader with explicit column types; only when it
refuses a file does a slow line-by-line scan run, to name the exact line and rule. Validation is
vectorised and strict: a file either passes every rule or raises ``CandleValidationError``
naming file, 1-based line and rule. Shorter-than-interval candles (the exchange closes a candle
early before maintenance) are accepted and flagged, never silently fixed.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from .candles import COLUMNS, MINUTE_MS, PREDICTION_INTERVALS_MINUTES, TIME_COLUMNS, Candles
from .errors import CandleValidationError, CorruptArchiveError
from .layout import CANDLESTICKS

# Binance kline columns kept: open time, open, high, low, close, close time, quote asset volume.
BINANCE_COLUMN_COUNT = 12
BINANCE_COLUMNS = {"ot": 0, "o": 1, "h": 2, "l": 3, "c": 4, "ct": 6, "v": 7}
BUNDLE_HEADER = COLUMNS
BUNDLE_FILES = ("candlesticks.csv", "prediction_candlesticks.csv")

# Timestamp units by magnitude of an epoch timestamp between 2001 and 2286.
_UNITS = {"s": (10**9, 10**10), "ms": (10**12, 10**13), "us": (10**15, 10**16)}


@dataclass(frozen=True)
class Flag:
    """A candle accepted but worth a look (e.g. closed early before a gap)."""

    file: str
    line: int
    ot: int
    kind: str  # "short_candle_before_gap" | "short_candle"
    message: str

    def to_dict(self) -> dict:
        return {"file": self.file, "line": self.line, "ot": self.ot, "kind": self.kind, "message": self.message}


@dataclass(frozen=True)
class ParsedCandles:
    file: str
    candles: Candles
    unit: str  # timestamp unit found in the file ("ms", "us" or "s"); candles are always ms
    flags: tuple[Flag, ...]
    interval_ms: int


def utc(ms: Any) -> str:  # an int or a numpy integer
    """UTC ISO 8601 with milliseconds (``2021-01-05T12:00:00.000Z``), as messages about candles show times."""
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


# ----------------------------------------------------------------------------------------------
# Archives


def read_zip_member(data: bytes, file: str, member: str | None = None) -> bytes:
    """Return the bytes of ``member`` (or of the archive's only CSV) from zip ``data``."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if member is None:
                csvs = [i.filename for i in archive.infolist() if i.filename.lower().endswith(".csv")]
                if len(csvs) != 1:
                    raise CorruptArchiveError(f"expected exactly one CSV in the archive, found {len(csvs)}", file=file)
                member = csvs[0]
            try:
                return archive.read(member)
            except KeyError:
                raise CorruptArchiveError(f"archive has no member {member!r}", file=file) from None
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
        raise CorruptArchiveError(f"truncated or damaged zip archive ({exc})", file=file) from exc


# ----------------------------------------------------------------------------------------------
# CSV parsing


def parse_binance_csv(
    raw: bytes, file: str, *, interval_ms: int = MINUTE_MS, month: str | None = None
) -> ParsedCandles:
    """Parse a Binance kline CSV (12 columns, header optional) into validated ms candles.

    ``month`` ("YYYY-MM") additionally requires every candle to open inside that UTC month.
    """
    # some dump periods start with a header line ("open_time,open,..."): skip it, only it
    header_lines = 1 if raw[:1].isalpha() else 0
    names = [f"f{i}" for i in range(BINANCE_COLUMN_COUNT)]
    selected = {name: names[index] for name, index in BINANCE_COLUMNS.items()}
    table = _read_csv(raw, file, names, selected, header_lines)
    return _finish(table, selected, file, interval_ms, first_line=header_lines + 1, month=month)


def parse_bundle_csv(raw: bytes, file: str, *, interval_ms: int | None = None) -> ParsedCandles:
    """Parse a bundle CSV (header ``ot,ct,o,h,l,c,v``, columns selected by name).

    With ``interval_ms`` None the interval is detected (15 or 30 minutes: prediction candles).
    """
    first = raw.split(b"\n", 1)[0].decode("utf-8", errors="replace").strip().split(",")
    missing = [name for name in BUNDLE_HEADER if name not in first]
    if missing:
        raise CandleValidationError(
            file, 1, f"header must name the columns {','.join(BUNDLE_HEADER)}; missing {missing}"
        )
    selected = {name: name for name in COLUMNS}
    table = _read_csv(raw, file, first, selected, header_lines=1)
    if interval_ms is None:
        interval_ms = _detect_interval(table, file)
    return _finish(table, selected, file, interval_ms, first_line=2, month=None)


def _read_csv(raw: bytes, file: str, names: list[str], selected: dict[str, str], header_lines: int) -> pa.Table:
    types = {col: pa.int64() if name in TIME_COLUMNS else pa.float64() for name, col in selected.items()}
    try:
        return pacsv.read_csv(
            io.BytesIO(raw),
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=header_lines, block_size=1 << 22),
            parse_options=pacsv.ParseOptions(ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(column_types=types, include_columns=list(selected.values())),
        )
    except pa.ArrowInvalid as exc:
        _locate_parse_error(raw, file, names, selected, header_lines)
        raise CandleValidationError(file, None, f"unreadable CSV ({exc})") from exc


def _locate_parse_error(raw: bytes, file: str, names: list[str], selected: dict[str, str], header_lines: int) -> None:
    """Scan line by line to name the first line pyarrow refused (the slow path, errors only)."""
    index = {name: names.index(col) for name, col in selected.items()}
    lines = raw.decode("utf-8", errors="replace").split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # a final newline ends the last line, it does not start a new one
    for number, text in enumerate(lines[header_lines:], start=header_lines + 1):
        parts = text.rstrip("\r").split(",")
        if len(parts) != len(names):
            raise CandleValidationError(file, number, f"expected {len(names)} columns, found {len(parts)}")
        for name, position in index.items():
            value = parts[position]
            try:
                int(value) if name in TIME_COLUMNS else float(value)
            except ValueError:
                kind = "an integer" if name in TIME_COLUMNS else "a number"
                raise CandleValidationError(file, number, f"column {name}: {value!r} is not {kind}") from None


def _detect_interval(table: pa.Table, file: str) -> int:
    durations = (
        table.column("ct").to_numpy(zero_copy_only=False) - table.column("ot").to_numpy(zero_copy_only=False) + 1
    )
    if len(durations) == 0:
        raise CandleValidationError(file, None, "no candles")
    values, counts = np.unique(durations, return_counts=True)
    interval_ms = int(values[np.argmax(counts)])
    allowed = [m * MINUTE_MS for m in PREDICTION_INTERVALS_MINUTES]
    if interval_ms not in allowed:
        raise CandleValidationError(
            file,
            None,
            f"prediction candles last {interval_ms} ms; expected one of {PREDICTION_INTERVALS_MINUTES} minutes",
        )
    return interval_ms


def _finish(
    table: pa.Table, selected: dict[str, str], file: str, interval_ms: int, *, first_line: int, month: str | None
) -> ParsedCandles:
    arrays = {}
    for name, col in selected.items():
        column = table.column(col)
        if column.null_count:
            row = int(np.flatnonzero(column.is_null().to_numpy(zero_copy_only=False))[0])
            raise CandleValidationError(file, first_line + row, f"column {name}: missing or NaN value")
        arrays[name] = column.to_numpy()
    if len(arrays["ot"]) == 0:
        raise CandleValidationError(file, None, "no candles")
    ot, ct, unit = to_milliseconds(arrays["ot"], arrays["ct"], file, first_line)
    candles = Candles(ot, ct, arrays["o"], arrays["h"], arrays["l"], arrays["c"], arrays["v"])
    flags = validate_candles(candles, file, interval_ms, first_line=first_line, month=month)
    return ParsedCandles(file=file, candles=candles, unit=unit, flags=flags, interval_ms=interval_ms)


# ----------------------------------------------------------------------------------------------
# Validation


def to_milliseconds(
    ot: np.ndarray, ct: np.ndarray, file: str, first_line: int = 1
) -> tuple[np.ndarray, np.ndarray, str]:
    """Detect the file's timestamp unit from its first open time and convert to ms.

    Every timestamp of the file must be in that same unit. Close times stay inclusive ends:
    a close time in seconds becomes its second's last millisecond.
    """
    first = int(ot[0])
    unit = next((u for u, (lo, hi) in _UNITS.items() if lo <= first < hi), None)
    if unit is None:
        raise CandleValidationError(
            file,
            first_line,
            f"open time {first} is in no known timestamp unit (seconds ~1e9, milliseconds ~1e12, microseconds ~1e15)",
        )
    lo, hi = _UNITS[unit]
    for name, values in (("open", ot), ("close", ct)):
        bad = np.flatnonzero((values < lo) | (values >= hi))
        if bad.size:
            i = int(bad[0])
            raise CandleValidationError(
                file, first_line + i, f"{name} time {int(values[i])} is not in the file's timestamp unit ({unit})"
            )
    if unit == "ms":
        return ot, ct, unit
    if unit == "us":
        bad = np.flatnonzero(ot % 1000)
        if bad.size:
            raise CandleValidationError(file, first_line + int(bad[0]), "open time has a sub-millisecond part")
        return ot // 1000, ct // 1000, unit
    return ot * 1000, ct * 1000 + 999, unit


def validate_candles(
    candles: Candles, file: str, interval_ms: int, *, first_line: int = 1, month: str | None = None
) -> tuple[Flag, ...]:
    """Raise ``CandleValidationError`` on the first broken rule; return flags for short candles."""
    ot, ct = candles.ot, candles.ct
    n = len(candles)
    if n == 0:
        raise CandleValidationError(file, None, "no candles")

    def check(bad: np.ndarray, rule: Callable[..., str]) -> None:
        rows = np.flatnonzero(bad)
        if rows.size:
            i = int(rows[0])
            raise CandleValidationError(file, first_line + i, rule(i))

    minutes = interval_ms // MINUTE_MS
    for name in ("o", "h", "l", "c", "v"):
        check(~np.isfinite(getattr(candles, name)), lambda i, name=name: f"column {name}: value is not a finite number")
    check(ot % interval_ms != 0, lambda i: f"open time {ot[i]} ({utc(ot[i])}) is not aligned to {minutes} minute(s)")
    step = np.diff(ot)
    check(
        np.r_[False, step == 0],
        lambda i: f"duplicate open time {ot[i]} ({utc(ot[i])}), same as line {first_line + i - 1}",
    )
    check(
        np.r_[False, step < 0],
        lambda i: f"open time {ot[i]} ({utc(ot[i])}) is earlier than line {first_line + i - 1}: candles out of order",
    )
    check(ct < ot, lambda i: f"close time {ct[i]} is before open time {ot[i]}")
    check(
        np.r_[ct[:-1] >= ot[1:], False],
        lambda i: f"close time {ct[i]} overlaps the next candle (line {first_line + i + 1} opens at {ot[i + 1]})",
    )
    check(
        ct - ot > interval_ms - 1,
        lambda i: (
            f"close time {ct[i]} is later than open time + {interval_ms - 1} ms (candle longer than {minutes} minute(s))"
        ),
    )
    prices = np.minimum(np.minimum(candles.o, candles.h), np.minimum(candles.l, candles.c))
    check(prices <= 0, lambda i: "prices must be positive")
    check(candles.v < 0, lambda i: f"volume {candles.v[i]} is negative")
    check(
        candles.l > np.minimum(candles.o, candles.c),
        lambda i: f"low {candles.l[i]} is above open {candles.o[i]} or close {candles.c[i]}",
    )
    check(
        candles.h < np.maximum(candles.o, candles.c),
        lambda i: f"high {candles.h[i]} is below open {candles.o[i]} or close {candles.c[i]}",
    )
    if month is not None:
        start, end = month_bounds_ms(month)
        check((ot < start) | (ot >= end), lambda i: f"candle at {utc(ot[i])} is outside the file's month {month}")

    flags = []
    for i in np.flatnonzero(ct - ot < interval_ms - 1):
        i = int(i)
        before_gap = i == n - 1 or ot[i + 1] > ot[i] + interval_ms
        kind = "short_candle_before_gap" if before_gap else "short_candle"
        flags.append(
            Flag(
                file=file,
                line=first_line + i,
                ot=int(ot[i]),
                kind=kind,
                message=f"candle at {utc(ot[i])} closes after {int(ct[i] - ot[i]) + 1} ms instead of {interval_ms}"
                + (" (last candle before a gap or the end)" if before_gap else ""),
            )
        )
    return tuple(flags)


def month_bounds_ms(month: str) -> tuple[int, int]:
    """[start, end) of a "YYYY-MM" month in UTC epoch ms."""
    year, mon = (int(part) for part in month.split("-"))
    start = datetime(year, mon, 1, tzinfo=UTC)
    end = datetime(year + mon // 12, mon % 12 + 1, 1, tzinfo=UTC)
    return int(start.timestamp() * 1000), int(end.timestamp() * 1000)


# ----------------------------------------------------------------------------------------------
# The original's bundle


@dataclass(frozen=True)
class Bundle:
    candles_1m: ParsedCandles
    prediction: ParsedCandles
    prediction_interval_minutes: int


def read_bundle(path: str | Path) -> Bundle:
    """Read ``candlesticks/`` (the folder, its parent, or a zip with ``candlesticks/`` as root)."""
    path = Path(path)
    (one_minute_name, one_minute_raw), (prediction_name, prediction_raw) = _bundle_files(path)
    one_minute = parse_bundle_csv(one_minute_raw, one_minute_name, interval_ms=MINUTE_MS)
    prediction = parse_bundle_csv(prediction_raw, prediction_name)
    return Bundle(
        candles_1m=one_minute, prediction=prediction, prediction_interval_minutes=prediction.interval_ms // MINUTE_MS
    )


def _bundle_files(path: Path) -> list[tuple[str, bytes]]:
    """(name for messages, bytes) of the 1-minute and the prediction CSV."""
    if path.is_dir():
        folder = path if (path / BUNDLE_FILES[0]).exists() else path / CANDLESTICKS  # an epoch folder
        missing = [name for name in BUNDLE_FILES if not (folder / name).is_file()]
        if missing:
            raise CandleValidationError(str(folder), None, f"bundle is missing {missing}")
        return [(str(folder / name), (folder / name).read_bytes()) for name in BUNDLE_FILES]
    data = path.read_bytes()
    return [
        (f"{path}:candlesticks/{name}", read_zip_member(data, str(path), f"candlesticks/{name}"))
        for name in BUNDLE_FILES
    ]
