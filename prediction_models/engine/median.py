"""``np.median`` in linear time inside numba, equal to numpy's result bit for bit.

Discovery needs the median of ~10 000 feature sums per combination. A histogram selection
finds the element of a given rank without sorting: count the values per bucket of
``[min, max]``, keep only the bucket that holds the rank, repeat on it until it is small or
constant, then sort that remainder. Every bucket function used is monotone in the value, so
the selected element is the exact ``rank``-th smallest, whatever the data (ties included);
only the speed depends on how the values spread.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

BUCKETS = 2048
_SORT_BELOW = 48  # below this many candidates an insertion sort is cheapest


@nb.njit(cache=True)
def _insertion_sort(values: np.ndarray, n: int) -> None:
    for i in range(1, n):
        v = values[i]
        j = i - 1
        while j >= 0 and values[j] > v:
            values[j + 1] = values[j]
            j -= 1
        values[j + 1] = v


@nb.njit(cache=True)
def kth_smallest(values: np.ndarray, n: int, rank: int, work: np.ndarray, counts: np.ndarray) -> float:
    """The ``rank``-th smallest (0-based) of ``values[:n]``; ``work`` (>= n) and ``counts``
    (>= ``BUCKETS``) are scratch space, ``values`` is left untouched."""
    source = values
    in_work = False
    lo = values[0]
    hi = values[0]
    for i in range(1, n):
        v = values[i]
        lo = min(lo, v)
        hi = max(hi, v)
    while True:
        if lo == hi:
            return lo
        if n < _SORT_BELOW:
            if not in_work:
                work[:n] = source[:n]
            _insertion_sort(work, n)
            return work[rank]
        buckets = min(BUCKETS, n)
        scale = buckets / (hi - lo)
        if not (0 < scale < math.inf):  # a range too narrow (or too wide) to divide: sort it
            if not in_work:
                work[:n] = source[:n]
            work[:n] = np.sort(work[:n])
            return work[rank]
        counts[:buckets] = 0
        for i in range(n):
            counts[min(int((source[i] - lo) * scale), buckets - 1)] += 1
        chosen = 0
        while rank >= counts[chosen]:
            rank -= counts[chosen]
            chosen += 1
        # keep the chosen bucket's values (in place when source is work: writes trail reads)
        kept = 0
        new_lo = math.inf
        new_hi = -math.inf
        for i in range(n):
            v = source[i]
            if min(int((v - lo) * scale), buckets - 1) == chosen:
                work[kept] = v
                kept += 1
                new_lo = min(new_lo, v)
                new_hi = max(new_hi, v)
        source = work
        in_work = True
        n = kept
        lo = new_lo
        hi = new_hi


@nb.njit(cache=True)
def median(values: np.ndarray, n: int, work: np.ndarray, counts: np.ndarray) -> float:
    """``np.median(values[:n])`` for ``n >= 1`` (the mean of the two middle values when ``n`` is even)."""
    half = n // 2
    upper = kth_smallest(values, n, half, work, counts)
    if n % 2:
        return upper
    below = 0
    largest_below = -math.inf
    for i in range(n):
        v = values[i]
        if v < upper:
            below += 1
            largest_below = max(largest_below, v)
    lower = largest_below if below == half else upper
    return (lower + upper) / 2
