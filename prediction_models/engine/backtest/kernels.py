"""The numba kernels of one combination: its signalling indexes, min-sum statistics and walk.

``search.py`` runs them for many combinations at once; ``record.py`` for one config.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from prediction_models.engine.median import median
from prediction_models.engine.metrics import profit_factor_or_nan
from prediction_models.engine.rounding import (
    nb_at_least_altered,
    nb_at_most_altered,
    nb_pct_change,
    numpy_sum,
    py_round,
)

_LONG_GE_MIN_INC, _LONG_LE_MIN_DEC, _SHORT_LE_MIN_DEC, _SHORT_GE_MIN_INC = 1, 2, 4, 8

# The metrics table's profit factor, compiled: the search computes it as the certificates do.
_profit_factor = nb.njit(cache=True)(profit_factor_or_nan)


@nb.njit(cache=True)
def _intensity(a: float, b: float) -> int:
    """``state_intensity(a, b)`` of the reference, comparing against the rounded thresholds."""
    if a > 0:
        if a < b:
            if nb_at_least_altered(b, a, 8):
                return 2
            if nb_at_least_altered(b, a, 4):
                return 1
            return 0
        if a > b:
            if nb_at_most_altered(b, a, -8):
                return -2
            if nb_at_most_altered(b, a, -4):
                return -1
            return 0
        return 0
    if a < 0:
        if a > b:
            if nb_at_most_altered(b, a, 8):
                return -2
            if nb_at_most_altered(b, a, 4):
                return -1
            return 0
        if a < b:
            if nb_at_least_altered(b, a, -8):
                return 2
            if nb_at_least_altered(b, a, -4):
                return 1
            return 0
    return 0


@nb.njit(cache=True)
def _candidates(
    s: np.ndarray,
    k_start: np.ndarray,
    min_incs: np.ndarray,
    min_decs: np.ndarray,
    cand_k: np.ndarray,
    cand_side: np.ndarray,
    cand_count: np.ndarray,
) -> None:
    """Per variant ``v``: the feature indexes that signal under ``(min_incs[v], min_decs[v])``,
    in order, into ``cand_k[v, :cand_count[v]]`` with their side (1 long, -1 short).

    The side follows from the trend (an increasing run can only open a long). Indexes that
    no variant can accept are dropped before the costly intensity.
    """
    n_var = len(min_incs)
    lowest_min_inc = min_incs.min()
    highest_min_dec = min_decs.max()
    cand_count[:] = 0
    ups = 0  # length of the run of strict increases ending at k (branch-free update)
    downs = 0
    for k in range(1, len(s)):
        b = s[k]
        ups = (ups + 1) * (b > s[k - 1])
        downs = (downs + 1) * (b < s[k - 1])
        if (ups < 3 and downs < 3) or k < 6 or k_start[k] < 0:
            continue
        inc = ups >= 3  # s[k-3] < s[k-2] < s[k-1] < s[k]
        strong = ups >= 5 if inc else downs >= 5  # and the two steps before as well
        # long: (b >= min_inc and intensity >= 1) or (b <= min_dec and strong and intensity >= 2);
        # short: (b <= min_dec and intensity <= -1) or (b >= min_inc and strong and intensity <= -2)
        at_min = b >= lowest_min_inc if inc else b <= highest_min_dec
        against_min = strong and (b <= highest_min_dec if inc else b >= lowest_min_inc)
        if not (at_min or against_min):
            continue
        intensity = _intensity(s[k - 5], b) * (1 if inc else -1)  # along the trend
        at_min = at_min and intensity >= 1
        against_min = against_min and intensity >= 2
        if not (at_min or against_min):
            continue
        side = 1 if inc else -1
        for v in range(n_var):
            if inc:
                signal = (at_min and b >= min_incs[v]) or (against_min and b <= min_decs[v])
            else:
                signal = (at_min and b <= min_decs[v]) or (against_min and b >= min_incs[v])
            c = cand_count[v]
            cand_k[v, c] = k
            cand_side[v, c] = side
            cand_count[v] = c + signal


@nb.njit(cache=True)
def _mean_median(values: np.ndarray, n: int, work: np.ndarray, counts: np.ndarray) -> tuple[float, float]:
    """``np.mean`` and ``np.median`` of ``values[:n]`` (of ``[0]`` when empty), rounded to 6."""
    if n == 0:
        return 0.0, 0.0
    mean = numpy_sum(values, 0, n) / n
    return py_round(mean, 6), py_round(median(values, n, work, counts), 6)


@nb.njit(cache=True)
def _successful_stats(
    s: np.ndarray,
    labels: np.ndarray,
    inc_buffer: np.ndarray,
    dec_buffer: np.ndarray,
    work: np.ndarray,
    counts: np.ndarray,
) -> tuple[float, float, float, float]:
    """Rounded (mean, median) of the successful increase and decrease sums (§7.3 step 2-3):
    the only parts of the discovery that min sums need."""
    n = min(len(labels), len(s))
    n_inc = 0
    n_dec = 0
    for k in range(n):  # branch-free compaction: write always, advance on a match
        v = s[k]
        inc_buffer[n_inc] = v
        dec_buffer[n_dec] = v
        n_inc += (v > 0) & (labels[k] == 1)
        n_dec += (v < 0) & (labels[k] == -1)
    inc_mean, inc_median = _mean_median(inc_buffer, n_inc, work, counts)
    dec_mean, dec_median = _mean_median(dec_buffer, n_dec, work, counts)
    return inc_mean, inc_median, dec_mean, dec_median


@nb.njit(cache=True)
def _walk(
    cand_k: np.ndarray,
    cand_side: np.ndarray,
    n_cand: int,
    k: np.ndarray,
    k_start: np.ndarray,
    end: int,
    longs: np.ndarray,
    shorts: np.ndarray,
    resume: np.ndarray,
    position_size: float,
    balance0: float,
    net_profit: float,
    net_loss: float,
    win_fee: float,
    loss_fee: float,
    entries: np.ndarray,
    exits: np.ndarray,
    sides: np.ndarray,
    wins: np.ndarray,
    balances: np.ndarray,
) -> tuple[int, float, float, int, int]:
    """One config's positions from its signalling feature indexes;
    returns (count, balance, fees, last walked minute, ms in position)."""
    balance = balance0
    fees = 0.0
    count = 0
    in_position = 0
    m = 0
    c = 0
    last = end - 1
    while m < end:
        k0 = k[m]
        while c < n_cand and cand_k[c] < k0:
            c += 1
        if c == n_cand:
            break
        side = cand_side[c]
        entry = m if cand_k[c] == k0 else k_start[cand_k[c]]
        trade = longs[entry] if side == 1 else shorts[entry]
        j = trade[0] >> 1
        win = (trade[0] & 1) == 1
        if j >= end:
            break  # still open when the walk stops: discarded
        if win:
            balance += net_profit
            fees += win_fee
        else:
            balance += -net_loss
            fees += loss_fee
        in_position += trade[1]
        entries[count] = entry
        exits[count] = j
        sides[count] = side
        wins[count] = win
        balances[count] = balance
        count += 1
        if balance < position_size:
            last = j  # the original stops at the next minute
            break
        m = resume[j]
    return count, balance, fees, last, in_position


@nb.njit(cache=True)
def _largest_drawdown(balance0: float, balances: np.ndarray, count: int) -> float:
    if count == 0:
        return 0.0
    worst = 0.0
    low = balances[count - 1]
    for i in range(count - 1, -1, -1):
        previous = balance0 if i == 0 else balances[i - 1]
        change = nb_pct_change(previous, low)
        if i == count - 1 or change < worst:
            worst = change
        if previous < low:
            low = previous
    return worst


@nb.njit(cache=True)
def _daily_returns(
    balance0: float, balances: np.ndarray, exits: np.ndarray, count: int, day_of_minute: np.ndarray, row: np.ndarray
) -> None:
    """One config's daily realised balance returns into ``row`` (one per calendar day, zeros on
    entry), as ``overfitting.daily_returns`` computes them: a day's last close over the day
    before's. Only the days with a close are written: the work is per position, not per day."""
    previous = balance0  # the balance at the end of the last day with a close
    p = 0
    while p < count:
        d = day_of_minute[exits[p]]
        while p + 1 < count and day_of_minute[exits[p + 1]] == d:
            p += 1
        eod = balances[p]
        if previous > 0:  # nothing more to lose once ruined
            row[d] = eod / previous - 1.0
        previous = eod
        p += 1
