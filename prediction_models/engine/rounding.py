"""The original's number helpers, bit-exact inside numba.

Python's ``round(x, n)`` rounds the *exact* binary value of ``x`` half-to-even and returns
the double nearest to the decimal result. ``np.round`` (scale, rint, unscale) differs from
it on values that sit near a rounding boundary, and the trading rules compare prices and
sums against rounded thresholds, so the fast engine needs Python's semantics exactly:
``py_round`` gets them with an error-free product (Dekker) instead of a plain multiply.

The Python versions (``pct_change``, ``alter_by_pct``, ``pct_of_total``) mirror the
original's formulas operation by operation and serve the reference engine and the assets.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

_SPLITTER = 134217729.0  # 2**27 + 1, Veltkamp split for doubles
_POWERS_OF_TEN = np.array([10.0**i for i in range(16)])  # all exact doubles


@nb.njit(cache=True, inline="always")
def _two_product(a: float, b: float) -> tuple[float, float]:
    """Return (p, e) with p = fl(a*b) and a*b = p + e exactly (no FMA needed)."""
    p = a * b
    c = _SPLITTER * a
    ah = c - (c - a)
    al = a - ah
    c = _SPLITTER * b
    bh = c - (c - b)
    bl = b - bh
    e = ((ah * bh - p) + ah * bl + al * bh) + al * bl
    return p, e


@nb.njit(cache=True)
def py_round(x: float, ndigits: int) -> float:
    """``round(x, ndigits)`` exactly as CPython computes it (0 <= ndigits <= 15)."""
    if x != x or x == 0.0 or math.isinf(x):
        return x
    negative = x < 0.0
    ax = -x if negative else x
    scale = _POWERS_OF_TEN[ndigits]
    p, e = _two_product(ax, scale)
    if p >= 4503599627370496.0:  # 2**52: already an integer at this scale
        return x
    n: float = math.floor(p)
    f = p - n  # exact: the fractional part of a double is a double
    if f == 0.0:
        up = False  # the exact value is n, or n plus or minus a tiny error: rounds to n
    else:
        g = f - 0.5  # exact (Sterbenz) whenever it matters
        if g != 0.0:
            up = g > 0.0
        elif e != 0.0:
            up = e > 0.0  # the product's error breaks the apparent tie
        else:
            up = (n % 2.0) == 1.0  # an exact tie: half to even
    if up:
        n += 1.0
    result = n / scale
    return -result if negative else result


@nb.njit(cache=True)
def nb_scale_by_pct(value: float, percent: float) -> float:
    """:func:`alter_by_pct` before its rounding, with the same operations."""
    new_value = value
    if percent > 0:
        new_value = ((percent / 100) + 1) * value
    elif percent < 0:
        new_value = -(((percent * -1) / 100) - 1) * value
    return new_value


@nb.njit(cache=True)
def nb_alter_by_pct(value: float, percent: float) -> float:
    """Numba twin of :func:`alter_by_pct`."""
    return py_round(nb_scale_by_pct(value, percent), 2)


@nb.njit(cache=True)
def nb_at_least_altered(x: float, value: float, percent: float) -> bool:
    """``x >= nb_alter_by_pct(value, percent)``, rounding only when ``x`` is close to the result.

    ``round(t, 2)`` lies within 0.005 (plus half an ulp of ``t``) of ``t``, so a difference of
    more than 0.0051 decides the comparison without it (for ``|t| < 1e6``, where that ulp is tiny).
    """
    t = nb_scale_by_pct(value, percent)
    d = x - t
    if abs(t) < 1e6:
        if d > 0.0051:
            return True
        if d < -0.0051:
            return False
    return x >= py_round(t, 2)


@nb.njit(cache=True)
def nb_at_most_altered(x: float, value: float, percent: float) -> bool:
    """``x <= nb_alter_by_pct(value, percent)``, see :func:`nb_at_least_altered`."""
    t = nb_scale_by_pct(value, percent)
    d = x - t
    if abs(t) < 1e6:
        if d > 0.0051:
            return False
        if d < -0.0051:
            return True
    return x <= py_round(t, 2)


@nb.njit(cache=True)
def nb_pct_change(old_value: float, new_value: float) -> float:
    """Numba twin of :func:`pct_change`."""
    change = 0.0
    if new_value > old_value:
        change = ((new_value - old_value) / old_value) * 100
    elif old_value > new_value:
        change = -(((old_value - new_value) / old_value) * 100)
    return py_round(change if change >= -100 else -100.0, 2)


def alter_by_pct(value: float, percent: float) -> float:
    """``value`` changed by ``percent`` %, rounded to 2 decimals (original formula)."""
    new_value = value
    if percent > 0:
        new_value = ((percent / 100) + 1) * value
    elif percent < 0:
        new_value = -(((percent * -1) / 100) - 1) * value
    return round(new_value, 2)


def pct_change(old_value: float, new_value: float) -> float:
    """Percentage change from ``old_value`` to ``new_value``, floored at -100, 2 decimals."""
    change = 0.0
    if new_value > old_value:
        change = ((new_value - old_value) / old_value) * 100
    elif old_value > new_value:
        change = -(((old_value - new_value) / old_value) * 100)
    return round(change if change >= -100 else -100, 2)


def pct_of_total(value: float, total: float) -> float:
    return round((value * 100) / total, 2)


@nb.njit(cache=True)
def numpy_sum(values: np.ndarray, start: int, stop: int) -> float:
    """``np.add.reduce(values[start:stop])`` in numpy's own summation order.

    Discovery statistics are ``round(np.mean(list), 6)``; summing in another order can move a
    mean across a rounding boundary, so the fast engine reproduces numpy's order: buffers of
    8192 elements accumulated in turn, each summed pairwise.
    """
    res = 0.0
    i = start
    while i < stop:
        j = min(stop, i + 8192)
        res += _pairwise_sum(values, i, j)
        i = j
    return res


@nb.njit(cache=True)
def _pairwise_sum(values: np.ndarray, start: int, stop: int) -> float:
    n = stop - start
    if n < 8:
        res = 0.0
        for i in range(start, stop):
            res += values[i]
        return res
    if n <= 128:
        r0 = values[start]
        r1 = values[start + 1]
        r2 = values[start + 2]
        r3 = values[start + 3]
        r4 = values[start + 4]
        r5 = values[start + 5]
        r6 = values[start + 6]
        r7 = values[start + 7]
        i = 8
        limit = n - (n % 8)
        while i < limit:
            r0 += values[start + i]
            r1 += values[start + i + 1]
            r2 += values[start + i + 2]
            r3 += values[start + i + 3]
            r4 += values[start + i + 4]
            r5 += values[start + i + 5]
            r6 += values[start + i + 6]
            r7 += values[start + i + 7]
            i += 8
        res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
        while i < n:
            res += values[start + i]
            i += 1
        return res
    n2 = n // 2
    n2 -= n2 % 8
    return _pairwise_sum(values, start, start + n2) + _pairwise_sum(values, start + n2, stop)
