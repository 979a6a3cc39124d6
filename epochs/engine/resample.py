"""Prediction candles (15 or 30 minutes) derived from 1-minute candles.

Buckets are aligned to interval boundaries in UTC epoch time: ``ot`` = bucket start,
``ct`` = bucket start + interval - 1 ms; o first, h max, l min, c last, v sum (quote volume).
A bucket exists only if at least one 1-minute candle falls in it: gaps stay gaps. Buckets that
hold fewer 1-minute candles than the interval (a gap starts or ends inside them, or the data
does) are kept as they are and reported through ``minutes`` and ``partial``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .candles import MINUTE_MS, PREDICTION_INTERVALS_MINUTES, Candles


@dataclass(frozen=True, eq=False)
class Resampled:
    candles: Candles
    minutes: np.ndarray  # 1-minute candles held by each bucket (== interval for a full bucket)
    interval_minutes: int

    @property
    def partial(self) -> int:
        """How many buckets hold fewer 1-minute candles than the interval."""
        return int(np.count_nonzero(self.minutes < self.interval_minutes))


def resample(candles: Candles, interval_minutes: int = 15) -> Resampled:
    if interval_minutes not in PREDICTION_INTERVALS_MINUTES:
        raise ValueError(
            f"prediction interval must be one of {PREDICTION_INTERVALS_MINUTES} minutes, not {interval_minutes}"
        )
    interval_ms = interval_minutes * MINUTE_MS
    if len(candles) == 0:
        return Resampled(Candles.empty(), np.zeros(0, dtype=np.int64), interval_minutes)
    bucket = candles.ot - candles.ot % interval_ms
    starts = np.flatnonzero(np.r_[True, bucket[1:] != bucket[:-1]])
    ends = np.r_[starts[1:], len(candles)] - 1
    ot = bucket[starts]
    result = Candles(
        ot=ot,
        ct=ot + interval_ms - 1,
        o=candles.o[starts],
        h=np.maximum.reduceat(candles.h, starts),
        l=np.minimum.reduceat(candles.l, starts),
        c=candles.c[ends],
        v=np.add.reduceat(candles.v, starts),
    )
    return Resampled(result, np.diff(np.r_[starts, len(candles)]), interval_minutes)
