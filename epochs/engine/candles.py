"""The in-memory candle series shared by import, resampling and epoch creation.

A ``Candles`` holds one NumPy array per column: open/close times in epoch milliseconds (UTC,
close time inclusive: ``ct = ot + interval - 1`` for a whole candle) and float64 prices and
quote-asset volume (USDT, the original's ``v``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from core.files import atomic_path

COLUMNS = ("ot", "ct", "o", "h", "l", "c", "v")
TIME_COLUMNS = ("ot", "ct")
MINUTE_MS = 60_000
PREDICTION_INTERVALS_MINUTES = (15, 30)  # 15: the original's final code and Epoca live; 30: its README

# Delta-encoded times and undictionaried floats: ~3x faster to write than the defaults, smaller.
PARQUET_OPTIONS = {
    "compression": "zstd",
    "use_dictionary": False,
    "column_encoding": dict.fromkeys(TIME_COLUMNS, "DELTA_BINARY_PACKED"),
}
SCHEMA = pa.schema([(name, pa.int64() if name in TIME_COLUMNS else pa.float64()) for name in COLUMNS])


@dataclass(frozen=True, eq=False)
class Candles:
    ot: np.ndarray
    ct: np.ndarray
    o: np.ndarray
    h: np.ndarray
    l: np.ndarray
    c: np.ndarray
    v: np.ndarray

    def __post_init__(self) -> None:
        for f in fields(self):
            dtype = np.int64 if f.name in TIME_COLUMNS else np.float64
            object.__setattr__(self, f.name, np.ascontiguousarray(getattr(self, f.name), dtype=dtype))
        if len({len(getattr(self, name)) for name in COLUMNS}) != 1:
            raise ValueError("candle columns differ in length")

    def __len__(self) -> int:
        return len(self.ot)

    def take(self, index: slice | np.ndarray) -> Candles:
        return Candles(*(getattr(self, name)[index] for name in COLUMNS))

    def between(self, start_ms: int | None = None, end_ms: int | None = None) -> Candles:
        """Candles with ``ot >= start_ms`` and ``ct <= end_ms`` (either bound optional)."""
        lo = 0 if start_ms is None else int(np.searchsorted(self.ot, start_ms, side="left"))
        hi = len(self) if end_ms is None else int(np.searchsorted(self.ct, end_ms, side="right"))
        return self.take(slice(lo, max(lo, hi)))

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame({name: getattr(self, name) for name in COLUMNS})

    def to_table(self) -> pa.Table:
        return pa.Table.from_arrays([getattr(self, name) for name in COLUMNS], schema=SCHEMA)

    @classmethod
    def from_table(cls, table: pa.Table) -> Candles:
        return cls(*(table.column(name).to_numpy() for name in COLUMNS))

    @classmethod
    def empty(cls) -> Candles:
        return cls(*([],) * len(COLUMNS))  # type: ignore[arg-type]  # empty lists stand for empty columns

    @classmethod
    def concat(cls, parts: list[Candles]) -> Candles:
        if not parts:
            return cls.empty()
        return cls(*(np.concatenate([getattr(p, name) for p in parts]) for name in COLUMNS))


def write_parquet(candles: Candles, path: str | os.PathLike) -> None:
    """Write candles to parquet atomically (temp file + rename)."""
    with atomic_path(path) as tmp:
        pq.write_table(candles.to_table(), tmp, **PARQUET_OPTIONS)


def read_parquet(path: str | os.PathLike) -> Candles:
    return Candles.from_table(pq.read_table(path, columns=list(COLUMNS)))
