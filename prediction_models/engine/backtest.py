"""Fast prediction-model search: the same results as ``backtest_reference``, bit for bit.

Why it is fast:

* **Exits once per minute, not per config.** For a requirement ``pcr`` the exit of a long
  (or short) opened at minute ``m`` depends only on ``m``: the first later minute whose low/high
  reaches the stop-loss (tested first) or the take-profit. :class:`Market` computes that table
  once (numba, block-skipping scan), with the time in position, and the first minute after
  the idle time that follows each close; every config reuses them.
* **Signals per feature index, not per minute.** Within one prediction candle the signal only
  depends on ``k``, so a config's walk jumps: from "flat at minute m" to the first minute
  ``>= m`` whose ``k`` signals (``m`` itself, or the first minute of a later signalling ``k``),
  then straight to that entry's precomputed exit, then to the first minute after the idle time.
* **Shared work per combination.** Configs are ordered combination-major (see
  ``config_space``), so the sums, the discovery figures the min sums need (successful
  means and medians: linear-time selection in ``median.py``) and the trend/intensity scan are
  done once for the ``pcr x msf x msaf`` variants of a combination, the scan emitting each
  variant's list of signalling indexes; sums of consecutive combinations share their
  left-to-right prefixes.
* **Many combinations per call.** A chunk's combinations are split into blocks that numba
  threads take as they become free.

Floats are produced with the original's operations in its order (Python's left-to-right
``sum``, numpy's summation order for means, Python's ``round`` via ``rounding.py``), so the
performance records equal the reference's exactly.
"""
from __future__ import annotations

import dataclasses
from typing import Callable, Mapping, Sequence

import numba as nb
import numpy as np

from prediction_models.engine import backtest_reference
from prediction_models.engine.assets import _BLOCK, PredictionModelAssets, _block_extremes, first_touch
from prediction_models.engine.config_space import ConfigSpace
from prediction_models.engine.discovery import discover
from prediction_models.engine.median import BUCKETS, median
from prediction_models.engine.rounding import (
    nb_alter_by_pct, nb_at_least_altered, nb_at_most_altered, nb_pct_change, numpy_sum, py_round,
)
from prediction_models.engine.trading import BacktestSettings, TradeConstants, min_sums

SUMMARY_DTYPE = np.dtype(
    [
        ("index", np.int64),
        ("profit", np.float64),
        ("final_balance", np.float64),
        ("fees", np.float64),
        ("positions", np.int32),
        ("increase_num", np.int32),
        ("decrease_num", np.int32),
        ("increase_successful_num", np.int32),
        ("decrease_successful_num", np.int32),
        ("accuracy", np.float64),
        ("largest_balance_drawdown", np.float64),
        ("profit_factor", np.float64),  # NaN without losing positions
        ("exposure_pct", np.float64),
        ("min_increase_sum", np.float64),
        ("min_decrease_sum", np.float64),
    ]
)

_LONG_GE_MIN_INC, _LONG_LE_MIN_DEC, _SHORT_LE_MIN_DEC, _SHORT_GE_MIN_INC = 1, 2, 4, 8


class SearchCancelled(Exception):
    """``search_chunk`` stopped on request before config ``next_index``; ``found`` holds the
    ``(index, summary)`` pairs that passed the thresholds among the configs before it."""

    def __init__(self, next_index: int, found: list[tuple[int, dict]]):
        super().__init__(f"search stopped on request before config {next_index}")
        self.next_index = next_index
        self.found = found


@dataclasses.dataclass(frozen=True)
class Thresholds:
    """The profitable-config filter (original: accuracy >= 55 and profit > 0)."""

    min_accuracy: float = 55
    min_profit: float = 0  # strictly greater than

    def accepts(self, accuracy: float, profit: float) -> bool:
        return accuracy >= self.min_accuracy and profit > self.min_profit


# ---------------------------------------------------------------------------- market tables


@nb.njit(cache=True)
def _trade_tables(
    o: np.ndarray, h: np.ndarray, l: np.ndarray, ot: np.ndarray, ct: np.ndarray, stop: int, pcr: float  # noqa: E741
) -> tuple[np.ndarray, np.ndarray]:
    """For a long and a short opened at each minute ``m < stop``: ``(exit minute * 2 + won,
    ms in position)``, one row per minute so that a walk reads one cache line per position."""
    bh, bl = _block_extremes(h, l, _BLOCK)
    n = len(o)
    longs = np.zeros((stop, 2), np.int64)
    shorts = np.zeros((stop, 2), np.int64)
    for m in range(stop):
        up = nb_alter_by_pct(o[m], pcr)
        down = nb_alter_by_pct(o[m], -pcr)
        # long: take-profit up, stop-loss down, the stop-loss (low) tested first
        j, hit_up = first_touch(h, l, bh, bl, _BLOCK, m + 1, up, down, False)
        longs[m, 0] = 2 * j + (j < n and hit_up)
        longs[m, 1] = ct[j] - ot[m] + 1 if j < n else 0
        # short: stop-loss up (high tested first), take-profit down
        j, hit_up = first_touch(h, l, bh, bl, _BLOCK, m + 1, up, down, True)
        shorts[m, 0] = 2 * j + (j < n and not hit_up)
        shorts[m, 1] = ct[j] - ot[m] + 1 if j < n else 0
    return longs, shorts


@dataclasses.dataclass(frozen=True)
class Market:
    """Everything about the minutes that does not depend on the config, for one pcr."""

    pcr: float
    features_num: int
    end: int  # first minute whose k >= F: the walk stops there
    k: np.ndarray
    k_start: np.ndarray  # first minute of each k (F,), -1 when no minute maps to k
    ot: np.ndarray
    ct: np.ndarray
    longs: np.ndarray  # see _trade_tables
    shorts: np.ndarray
    labels: np.ndarray
    _resume: dict = dataclasses.field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def build(cls, assets: PredictionModelAssets, pcr: float) -> "Market":
        f = assets.features_num
        k = np.ascontiguousarray(assets.lookback_indexer, dtype=np.int64)
        end = int(np.searchsorted(k, f, "left"))
        first = np.searchsorted(k, np.arange(f), "left")
        present = (first < len(k)) & (k[np.minimum(first, len(k) - 1)] == np.arange(f))
        m = assets.minutes
        longs, shorts = _trade_tables(m.o, m.h, m.l, m.ot, m.ct, end, float(pcr))
        return cls(
            float(pcr), f, end, k, np.where(present, first, -1).astype(np.int64), m.ot, m.ct, longs, shorts,
            labels=np.ascontiguousarray(assets.labels[float(pcr)], dtype=np.int8),
        )

    def resume(self, idle_minutes: int) -> np.ndarray:
        """First minute a new position may open after a close at each minute (``ot >= ct + idle``)."""
        if idle_minutes not in self._resume:
            self._resume[idle_minutes] = np.searchsorted(self.ot, self.ct + int(idle_minutes) * 60_000, "left")
        return self._resume[idle_minutes]


# ---------------------------------------------------------------------------- per combination


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
    s: np.ndarray, k_start: np.ndarray, min_incs: np.ndarray, min_decs: np.ndarray,
    cand_k: np.ndarray, cand_side: np.ndarray, cand_count: np.ndarray,
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
    s: np.ndarray, labels: np.ndarray, inc_buffer: np.ndarray, dec_buffer: np.ndarray, work: np.ndarray,
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


# ---------------------------------------------------------------------------- the walk


@nb.njit(cache=True)
def _walk(
    cand_k: np.ndarray, cand_side: np.ndarray, n_cand: int, k: np.ndarray, k_start: np.ndarray, end: int,
    longs: np.ndarray, shorts: np.ndarray, resume: np.ndarray,
    position_size: float, balance0: float, net_profit: float, net_loss: float, win_fee: float, loss_fee: float,
    entries: np.ndarray, exits: np.ndarray, sides: np.ndarray, wins: np.ndarray, balances: np.ndarray,
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


@nb.njit(cache=True, parallel=True)
def _search(
    features: np.ndarray, combos: np.ndarray, labels: np.ndarray, k: np.ndarray, k_start: np.ndarray, end: int,
    ot: np.ndarray, ct: np.ndarray, longs: np.ndarray, shorts: np.ndarray, resume: np.ndarray,
    position_size: float, balance0: float, net_profit: float, net_loss: float, win_fee: float, loss_fee: float,
    msf_is_median: np.ndarray, msafs: np.ndarray, out_num: np.ndarray, out_float: np.ndarray, blocks: int,
) -> None:
    """Summaries of every variant of ``combos``; rows of ``out_*`` are combination-major."""
    n_combos, r = combos.shape
    f = features.shape[1]
    n_var = len(msf_is_median)
    per_block = (n_combos + blocks - 1) // blocks
    for block in nb.prange(blocks):
        first = block * per_block
        last = min(n_combos, first + per_block)
        if first >= last:
            continue
        partial = np.zeros((r, f))
        previous = np.full(r, -1, np.int64)
        inc_buffer = np.empty(f)
        dec_buffer = np.empty(f)
        work = np.empty(f)
        counts = np.empty(BUCKETS, np.int64)
        min_incs = np.empty(n_var)
        min_decs = np.empty(n_var)
        cand_k = np.empty((n_var, f), np.int64)
        cand_side = np.empty((n_var, f), np.int8)
        cand_count = np.empty(n_var, np.int64)
        entries = np.empty(f, np.int64)
        exits = np.empty(f, np.int64)
        sides = np.empty(f, np.int64)
        wins = np.empty(f, np.bool_)
        balances = np.empty(f)
        for ci in range(first, last):
            # left-to-right sums, reusing the prefix shared with the previous combination
            depth = 0
            while depth < r and combos[ci, depth] == previous[depth]:
                depth += 1
            for d in range(depth, r):
                row = features[combos[ci, d]]
                if d == 0:
                    for x in range(f):
                        partial[0, x] = 0.0 + row[x]
                else:
                    for x in range(f):
                        partial[d, x] = partial[d - 1, x] + row[x]
                previous[d] = combos[ci, d]
            s = partial[r - 1]
            inc_mean, inc_median, dec_mean, dec_median = _successful_stats(
                s, labels, inc_buffer, dec_buffer, work, counts
            )
            for v in range(n_var):
                msaf = msafs[v % len(msafs)]
                min_incs[v] = py_round((inc_median if msf_is_median[v] else inc_mean) * msaf, 6)
                min_decs[v] = py_round((dec_median if msf_is_median[v] else dec_mean) * msaf, 6)
            _candidates(s, k_start, min_incs, min_decs, cand_k, cand_side, cand_count)
            for v in range(n_var):
                count, balance, fees, last_minute, in_position = _walk(
                    cand_k[v], cand_side[v], cand_count[v], k, k_start, end, longs, shorts, resume,
                    position_size, balance0, net_profit, net_loss, win_fee, loss_fee,
                    entries, exits, sides, wins, balances,
                )
                row_out = ci * n_var + v
                inc_n = 0
                dec_n = 0
                inc_ok = 0
                dec_ok = 0
                for p in range(count):
                    if sides[p] == 1:
                        inc_n += 1
                        inc_ok += wins[p]
                    else:
                        dec_n += 1
                        dec_ok += wins[p]
                total = inc_n + dec_n
                losses = total - inc_ok - dec_ok
                out_num[row_out, 0] = count
                out_num[row_out, 1] = inc_n
                out_num[row_out, 2] = dec_n
                out_num[row_out, 3] = inc_ok
                out_num[row_out, 4] = dec_ok
                out_float[row_out, 0] = balance - balance0
                out_float[row_out, 1] = balance
                out_float[row_out, 2] = fees
                out_float[row_out, 3] = py_round(((inc_ok + dec_ok) * 100) / (total if total > 0 else 1), 2)
                out_float[row_out, 4] = _largest_drawdown(balance0, balances, count)
                out_float[row_out, 5] = (
                    (inc_ok + dec_ok) * net_profit / (losses * net_loss) if losses > 0 else np.nan
                )
                period = ct[max(last_minute, 0)] - ot[0] + 1
                out_float[row_out, 6] = in_position * 100 / period if end > 0 else 0.0
                out_float[row_out, 7] = min_incs[v]
                out_float[row_out, 8] = min_decs[v]


@nb.njit(cache=True)
def _combinations(first: np.ndarray, n: int, count: int) -> np.ndarray:
    """``count`` consecutive r-combinations of range(n) in lexicographic order from ``first``."""
    r = len(first)
    out = np.empty((count, r), np.int64)
    current = first.copy()
    for i in range(count):
        out[i] = current
        j = r - 1
        while j >= 0 and current[j] == n - r + j:
            j -= 1
        if j < 0:
            break
        current[j] += 1
        for t in range(j + 1, r):
            current[t] = current[t - 1] + 1
    return out


# ---------------------------------------------------------------------------- public API


def evaluate_chunk(
    assets: PredictionModelAssets,
    space: ConfigSpace,
    start_index: int,
    stop_index: int,
    settings: BacktestSettings,
    markets: Mapping[float, Market] | None = None,
    threads: int | None = None,
) -> np.ndarray:
    """Summary (``SUMMARY_DTYPE``) of every config in ``[start_index, stop_index)``."""
    if not 0 <= start_index <= stop_index <= len(space):
        raise ValueError(f"chunk [{start_index}, {stop_index}) outside 0..{len(space)}")
    if tuple(space.regression_ids) != tuple(assets.regression_ids):
        missing = set(space.regression_ids) - set(assets.regression_ids)
        if missing:
            raise ValueError(f"regressions {sorted(missing)} have no features in the assets")
    rows = assets.feature_rows(space.regression_ids)
    features = np.ascontiguousarray(assets.features[rows])
    first_combo = start_index // space.variants
    last_combo = (stop_index - 1) // space.variants if stop_index > start_index else first_combo - 1
    n_combos = last_combo - first_combo + 1
    result = np.zeros(0, dtype=SUMMARY_DTYPE)
    if n_combos <= 0:
        return result
    combos = _combinations(np.array(space.combination(first_combo), np.int64), len(space.regression_ids), n_combos)
    markets = dict(markets or {})
    if threads:
        nb.set_num_threads(threads)
    parts = []
    msf_is_median = np.array([f == "median" for f in space.msfs for _ in space.msafs], np.bool_)
    msafs = np.array(space.msafs, np.float64)
    for p_i, pcr in enumerate(space.pcrs):
        market = markets.get(float(pcr)) or Market.build(assets, pcr)
        markets[float(pcr)] = market
        money = TradeConstants.of(settings, pcr)
        n_var = len(msf_is_median)
        out_num = np.zeros((n_combos * n_var, 5), np.int64)
        out_float = np.zeros((n_combos * n_var, 9))
        with nb.parallel_chunksize(1):  # blocks go to whichever thread is free: even on a busy machine
            _search(
                features, combos, market.labels, market.k, market.k_start, market.end, market.ot, market.ct,
                market.longs, market.shorts, market.resume(settings.idle_minutes),
                float(settings.position_size), money.initial_balance,
                money.net_profit, money.net_loss, money.win_fee, money.loss_fee, msf_is_median, msafs,
                out_num, out_float, max(1, min(n_combos, nb.get_num_threads() * 8)),
            )
        part = np.zeros(n_combos * n_var, dtype=SUMMARY_DTYPE)
        variant = np.arange(n_combos * n_var) % n_var
        combo = np.arange(n_combos * n_var) // n_var + first_combo
        part["index"] = combo * space.variants + p_i * n_var + variant
        for i, name in enumerate(["positions", "increase_num", "decrease_num", "increase_successful_num",
                                  "decrease_successful_num"]):
            part[name] = out_num[:, i]
        for i, name in enumerate(["profit", "final_balance", "fees", "accuracy", "largest_balance_drawdown",
                                  "profit_factor", "exposure_pct", "min_increase_sum", "min_decrease_sum"]):
            part[name] = out_float[:, i]
        parts.append(part)
    result = np.concatenate(parts)
    result = result[np.argsort(result["index"], kind="stable")]
    return result[(result["index"] >= start_index) & (result["index"] < stop_index)]


def search_chunk(
    assets: PredictionModelAssets,
    space: ConfigSpace,
    start_index: int,
    stop_index: int,
    thresholds: Thresholds | None = Thresholds(),
    settings: BacktestSettings = BacktestSettings(),
    markets: Mapping[float, Market] | None = None,
    progress: Callable[[int, int, str], None] | None = None,
    step: int = 12_000,
    should_stop: Callable[[], bool] | None = None,
) -> list[tuple[int, dict]]:
    """``(index, summary)`` of the configs of ``[start_index, stop_index)`` that pass ``thresholds``
    (all of them when ``thresholds`` is None).

    Work proceeds in steps of ``step`` configs (about a second each on two cores), with a
    ``progress(done, total, message)`` call after each. ``should_stop()`` is asked before every
    step; when it answers true the search raises :class:`SearchCancelled`, which carries what
    was found so far and the index to resume from.
    """
    if step < 1:
        raise ValueError(f"step must be >= 1, got {step}")
    found: list[tuple[int, dict]] = []
    markets = dict(markets or {})
    for pcr in space.pcrs:
        markets.setdefault(float(pcr), Market.build(assets, pcr))
    total = stop_index - start_index
    for lo in range(start_index, stop_index, step):
        if should_stop is not None and should_stop():
            raise SearchCancelled(lo, found)
        hi = min(stop_index, lo + step)
        summary = evaluate_chunk(assets, space, lo, hi, settings, markets)
        if thresholds is not None:
            keep = (summary["accuracy"] >= thresholds.min_accuracy) & (summary["profit"] > thresholds.min_profit)
            summary = summary[keep]
        found.extend((int(row["index"]), _summary_dict(row)) for row in summary)
        if progress:
            progress(hi - start_index, total, f"configs {lo}..{hi - 1}")
    return found


def _summary_dict(row: np.void) -> dict:
    out = {name: row[name].item() for name in SUMMARY_DTYPE.names or () if name != "index"}
    if out["profit_factor"] != out["profit_factor"]:
        out["profit_factor"] = None  # no losing position
    return out


def feature_sums_array(assets: PredictionModelAssets, regression_ids: Sequence[str]) -> np.ndarray:
    """Left-to-right sums of the given regressions' features, as Python's ``sum`` adds them."""
    rows = assets.feature_rows(regression_ids)
    s = np.zeros(assets.features_num)
    for r in rows:
        s = s + assets.features[r]
    return s


def backtest_record(
    assets: PredictionModelAssets,
    regression_ids: Sequence[str],
    pcr: float,
    msf: str,
    msaf: float,
    settings: BacktestSettings = BacktestSettings(),
    market: Market | None = None,
    fixed_min_sums: tuple[float, float] | None = None,
) -> tuple[dict, dict, tuple[float, float]]:
    """Full §7.3 result of one config, equal to ``backtest_reference.evaluate``:
    ``(discovery, performance with positions, (min_increase_sum, min_decrease_sum))``.

    With ``fixed_min_sums`` (a forward test: the model's own) the min sums are not refitted.
    A NaN feature (a row Epoca refuses) makes its sum NaN: that row never signals, and no run
    of rising or falling sums passes through it (the reference engine reads NaN the same way).
    """
    market = market or Market.build(assets, pcr)
    s = feature_sums_array(assets, regression_ids)
    discovery = discover(s, market.labels)
    min_inc, min_dec = fixed_min_sums if fixed_min_sums is not None else min_sums(discovery, msf, msaf)
    f = assets.features_num
    cand_k = np.empty((1, f), np.int64)
    cand_side = np.empty((1, f), np.int8)
    cand_count = np.empty(1, np.int64)
    _candidates(s, market.k_start, np.array([min_inc]), np.array([min_dec]), cand_k, cand_side, cand_count)
    entries, exits, sides = (np.empty(f, np.int64) for _ in range(3))
    wins = np.empty(f, np.bool_)
    balances = np.empty(f)
    money = TradeConstants.of(settings, pcr)
    count, balance, fees, _, _ = _walk(
        cand_k[0], cand_side[0], cand_count[0], market.k, market.k_start, market.end,
        market.longs, market.shorts, market.resume(settings.idle_minutes), float(settings.position_size),
        money.initial_balance, money.net_profit, money.net_loss, money.win_fee, money.loss_fee,
        entries, exits, sides, wins, balances,
    )
    rows = assets.feature_rows(regression_ids)
    minutes = assets.minutes
    positions = []
    for p in range(count):
        e, j, side, win = int(entries[p]), int(exits[p]), int(sides[p]), bool(wins[p])
        k = int(market.k[e])
        o = float(minutes.o[e])
        take_profit, stop_loss = (
            (_alter(o, pcr), _alter(o, -pcr)) if side == 1 else (_alter(o, -pcr), _alter(o, pcr))
        )
        positions.append({
            "t": side,
            "p": {"r": side, "t": int(minutes.ot[e]), "f": assets.features[rows, k].tolist()},
            "ot": int(minutes.ot[e]),
            "op": o,
            "tpp": take_profit,
            "slp": stop_loss,
            "ct": int(minutes.ct[j]),
            "cp": take_profit if win else stop_loss,
            "o": win,
            "b": float(balances[p]),
        })
    performance = backtest_reference.performance_record(money, settings, positions, float(balance), float(fees))
    return discovery, performance, (min_inc, min_dec)


def _alter(value: float, percent: float) -> float:
    return float(nb_alter_by_pct(value, percent))
