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
