"""A null baseline: features without skill, by moving whole days of them in time.

One seeded permutation of the calendar days is applied to every regression's features alike,
so their correlation with each other (and each day's intraday pattern) survives while their
relation to the prices that follow is broken. A search run on permuted features shows how many
configs pass the thresholds by luck alone (the null pass rate).
"""

from __future__ import annotations

import numpy as np

DAY_MS = 86_400_000


def day_block_permutation(timestamps_ms: np.ndarray, seed: int) -> np.ndarray:
    """Index ``p`` such that ``features[..., p]`` moves the rows of each UTC day of
    ``timestamps_ms`` (ascending open times in milliseconds, one per feature row) together, the
    days in a seeded random order and each day's rows in their own order.

    ``len(p) == len(timestamps_ms)`` and ``p`` is a permutation of ``range(len(p))``; the same
    timestamps and seed always give the same ``p``.
    """
    t = np.asarray(timestamps_ms)
    if t.ndim != 1:
        raise ValueError(f"candle timestamps must be one-dimensional, got shape {t.shape}")
    if not np.issubdtype(t.dtype, np.integer):
        raise ValueError(f"candle timestamps must be integer milliseconds, got {t.dtype}")
    if t.size and np.any(np.diff(t) <= 0):
        raise ValueError("candle timestamps must be strictly ascending")
    if t.size == 0:
        return np.zeros(0, np.int64)
    day = t.astype(np.int64) // DAY_MS
    starts = np.flatnonzero(np.r_[True, day[1:] != day[:-1]])
    ends = np.r_[starts[1:], t.size]
    order = np.random.default_rng(seed).permutation(len(starts))
    return np.concatenate([np.arange(starts[d], ends[d], dtype=np.int64) for d in order])


def feature_day_permutation(
    minute_open_ms: np.ndarray, lookback_indexer: np.ndarray, features_num: int, seed: int
) -> np.ndarray:
    """:func:`day_block_permutation` of a search's feature rows: row ``k`` belongs to the UTC day
    of the first minute that trades on it (``lookback_indexer[m] == k``; rows after the last
    minute belong to the last day), so the rows of one day move together."""
    ot = np.asarray(minute_open_ms, dtype=np.int64)
    if features_num == 0 or ot.size == 0:
        return np.arange(features_num, dtype=np.int64)
    first = np.searchsorted(np.asarray(lookback_indexer), np.arange(features_num), side="left")
    day = ot[np.minimum(first, ot.size - 1)] // DAY_MS
    day = np.maximum.accumulate(day)  # never decreasing, whatever the indexer's gaps
    # Strictly ascending stand-in timestamps within the same days: the day, then the row.
    stand_in = day * DAY_MS + np.arange(features_num) - np.searchsorted(day, day, side="left")
    if np.any(stand_in - day * DAY_MS >= DAY_MS):
        raise ValueError("more feature rows in one day than milliseconds")
    return day_block_permutation(stand_in, seed)


def null_pass_rates(records: dict, seeds: list[int]) -> tuple[float | None, list[float | None]]:
    """The mean null pass rate over ``seeds`` (None until every seed has one) and each seed's."""
    rates = [records.get(str(s), {}).get("pass_rate") for s in seeds]
    known = [r for r in rates if r is not None]
    return (float(np.mean(known)) if seeds and len(known) == len(seeds) else None), rates
