"""The fast search over a chunk of the config space (see the package's docstring for why it is fast)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping

import numba as nb
import numpy as np

from prediction_models.engine.assets import PredictionModelAssets
from prediction_models.engine.backtest.kernels import (
    _candidates,
    _daily_returns,
    _largest_drawdown,
    _profit_factor,
    _successful_stats,
    _walk,
)
from prediction_models.engine.backtest.market import Market
from prediction_models.engine.config_space import ConfigSpace
from prediction_models.engine.median import BUCKETS
from prediction_models.engine.metrics import SEARCH_MINIMUMS, none_if_nan
from prediction_models.engine.rounding import py_round
from prediction_models.engine.trading import BacktestSettings, TradeConstants

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


class SearchCancelled(Exception):
    """``search_chunk`` stopped on request before config ``next_index``; ``found`` holds the
    ``(index, summary)`` pairs that passed the thresholds among the configs before it."""

    def __init__(self, next_index: int, found: list[tuple[int, dict]]):
        super().__init__(f"search stopped on request before config {next_index}")
        self.next_index = next_index
        self.found = found


class Thresholds:
    """The profitable-config filter: a bound per ``metrics.SEARCH_MINIMUMS``, by name
    (``min_accuracy=...``) or in that order; a bound of None is not applied. Unset, a bound is
    the original's: accuracy >= 55 and profit > 0, any number of positions."""

    _minimums: dict[str, float | None]

    def __init__(self, *values: float | None, **named: float | None):
        if len(values) > len(SEARCH_MINIMUMS):
            raise TypeError(f"Thresholds takes at most {len(SEARCH_MINIMUMS)} bounds, got {len(values)}")
        minimums = {b.name: b.original for b in SEARCH_MINIMUMS}
        minimums.update({b.name: value for b, value in zip(SEARCH_MINIMUMS, values, strict=False)})
        unknown = set(named) - set(minimums)
        if unknown:
            raise TypeError(f"unknown thresholds {sorted(unknown)}")
        minimums.update(named)
        self.__dict__["_minimums"] = minimums

    def __getattr__(self, name: str) -> float | None:
        minimums = self.__dict__.get("_minimums", {})
        if name in minimums:
            return minimums[name]
        raise AttributeError(name)

    def __setattr__(self, name: str, value: object) -> None:
        raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Thresholds) and self._minimums == other._minimums

    def __hash__(self) -> int:
        return hash(tuple(self._minimums.items()))

    def __repr__(self) -> str:
        return f"Thresholds({', '.join(f'{k}={v!r}' for k, v in self._minimums.items())})"

    def accepts(self, *values: float | None) -> bool:
        """Whether a config with these metrics (in ``SEARCH_MINIMUMS`` order) passes; a value
        left out or None is not bounded (the original filter knew no positions)."""
        for bound, value in zip(SEARCH_MINIMUMS, values, strict=False):
            minimum = self._minimums[bound.name]
            if value is None or minimum is None:
                continue
            if not (value > minimum if bound.strict else value >= minimum):
                return False
        return True

    def passed(self, summary: np.ndarray) -> np.ndarray:
        """Per row of a ``SUMMARY_DTYPE`` array: whether the config passes."""
        passed = np.ones(len(summary), np.bool_)
        for bound in SEARCH_MINIMUMS:
            minimum = self._minimums[bound.name]
            if minimum is None:
                continue
            values = summary[bound.metric.key]
            passed &= (values > minimum) if bound.strict else (values >= minimum)
        return passed


ORIGINAL_THRESHOLDS = Thresholds()


@nb.njit(cache=True, parallel=True)
def _search(
    features: np.ndarray,
    combos: np.ndarray,
    labels: np.ndarray,
    k: np.ndarray,
    k_start: np.ndarray,
    end: int,
    ot: np.ndarray,
    ct: np.ndarray,
    longs: np.ndarray,
    shorts: np.ndarray,
    resume: np.ndarray,
    position_size: float,
    balance0: float,
    net_profit: float,
    net_loss: float,
    win_fee: float,
    loss_fee: float,
    msf_is_median: np.ndarray,
    msafs: np.ndarray,
    out_num: np.ndarray,
    out_float: np.ndarray,
    blocks: int,
    day_of_minute: np.ndarray,
    out_returns: np.ndarray,
    returns_row0: int,
    returns_stride: int,
) -> None:
    """Summaries of every variant of ``combos``; rows of ``out_*`` are combination-major.

    With rows in ``out_returns`` (zeros; one column per calendar day; ``day_of_minute``: each
    minute's close day) each config's daily returns are written there too, variant ``v`` of
    combination ``ci`` into row ``returns_row0 + ci * returns_stride + v`` when that row exists
    (the caller's config order: no copy or reordering afterwards)."""
    with_returns = out_returns.shape[0] > 0
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
                    cand_k[v],
                    cand_side[v],
                    cand_count[v],
                    k,
                    k_start,
                    end,
                    longs,
                    shorts,
                    resume,
                    position_size,
                    balance0,
                    net_profit,
                    net_loss,
                    win_fee,
                    loss_fee,
                    entries,
                    exits,
                    sides,
                    wins,
                    balances,
                )
                row_out = ci * n_var + v
                returns_row = returns_row0 + ci * returns_stride + v
                if with_returns and 0 <= returns_row < out_returns.shape[0]:
                    _daily_returns(balance0, balances, exits, count, day_of_minute, out_returns[returns_row])
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
                out_float[row_out, 5] = _profit_factor((inc_ok + dec_ok) * net_profit, losses * net_loss)
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
    return _evaluate(assets, space, start_index, stop_index, settings, markets, threads, None)[0]


def day_of_minute(ct: np.ndarray, days: np.ndarray) -> np.ndarray:
    """The calendar day (index in ``days``, ascending UTC day starts) each minute closes on."""
    return (np.searchsorted(days, ct, side="right") - 1).astype(np.int64)


def evaluate_chunk_returns(
    assets: PredictionModelAssets,
    space: ConfigSpace,
    start_index: int,
    stop_index: int,
    settings: BacktestSettings,
    days: np.ndarray,
    markets: Mapping[float, Market] | None = None,
    threads: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The summaries of :func:`evaluate_chunk` and, row for row, each config's daily realised
    balance returns on the calendar ``days`` (``overfitting.day_starts`` of the period)."""
    days = np.asarray(days, dtype=np.int64)
    ct = assets.minutes.ct
    if len(ct) and (ct[0] < days[0] or ct[-1] >= days[-1] + 86_400_000):
        raise ValueError("the calendar's days do not cover the assets' minutes")
    summary, returns = _evaluate(assets, space, start_index, stop_index, settings, markets, threads, days)
    return summary, returns


def _evaluate(
    assets: PredictionModelAssets,
    space: ConfigSpace,
    start_index: int,
    stop_index: int,
    settings: BacktestSettings,
    markets: Mapping[float, Market] | None,
    threads: int | None,
    days: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray]:
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
    n_days = 0 if days is None else len(days)
    if n_combos <= 0:
        return result, np.zeros((0, n_days))
    combos = _combinations(np.array(space.combination(first_combo), np.int64), len(space.regression_ids), n_combos)
    markets = dict(markets or {})
    if threads:
        nb.set_num_threads(threads)
    parts = []
    # Every pcr's kernel writes its configs' rows in place, in index order: [start_index, stop_index).
    out_returns = np.zeros((stop_index - start_index if days is not None else 0, max(n_days, 1)))
    day_of = np.zeros(0, np.int64) if days is None else day_of_minute(assets.minutes.ct, days)
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
                features,
                combos,
                market.labels,
                market.k,
                market.k_start,
                market.end,
                market.ot,
                market.ct,
                market.longs,
                market.shorts,
                market.resume(settings.idle_minutes),
                float(settings.position_size),
                money.initial_balance,
                money.net_profit,
                money.net_loss,
                money.win_fee,
                money.loss_fee,
                msf_is_median,
                msafs,
                out_num,
                out_float,
                max(1, min(n_combos, nb.get_num_threads() * 8)),
                day_of,
                out_returns,
                first_combo * space.variants + p_i * n_var - start_index,
                space.variants,
            )
        part = np.zeros(n_combos * n_var, dtype=SUMMARY_DTYPE)
        variant = np.arange(n_combos * n_var) % n_var
        combo = np.arange(n_combos * n_var) // n_var + first_combo
        part["index"] = combo * space.variants + p_i * n_var + variant
        for i, name in enumerate(
            ["positions", "increase_num", "decrease_num", "increase_successful_num", "decrease_successful_num"]
        ):
            part[name] = out_num[:, i]
        for i, name in enumerate(
            [
                "profit",
                "final_balance",
                "fees",
                "accuracy",
                "largest_balance_drawdown",
                "profit_factor",
                "exposure_pct",
                "min_increase_sum",
                "min_decrease_sum",
            ]
        ):
            part[name] = out_float[:, i]
        parts.append(part)
    result = np.concatenate(parts)
    order = np.argsort(result["index"], kind="stable")
    result = result[order]
    inside = (result["index"] >= start_index) & (result["index"] < stop_index)
    returns = out_returns[:, :n_days] if days is not None else np.zeros((0, 0))
    return result[inside], returns


def search_chunk(
    assets: PredictionModelAssets,
    space: ConfigSpace,
    start_index: int,
    stop_index: int,
    thresholds: Thresholds | None = ORIGINAL_THRESHOLDS,
    settings: BacktestSettings = BacktestSettings(),
    markets: Mapping[float, Market] | None = None,
    progress: Callable[[int, int, str], None] | None = None,
    step: int = 12_000,
    should_stop: Callable[[], bool] | None = None,
    days: np.ndarray | None = None,
    on_returns: Callable[[np.ndarray, np.ndarray], None] | None = None,
) -> list[tuple[int, dict]]:
    """``(index, summary)`` of the configs of ``[start_index, stop_index)`` that pass ``thresholds``
    (all of them when ``thresholds`` is None).

    Work proceeds in steps of ``step`` configs (about a second each on two cores), with a
    ``progress(done, total, message)`` call after each. ``should_stop()`` is asked before every
    step; when it answers true the search raises :class:`SearchCancelled`, which carries what
    was found so far and the index to resume from.

    With a calendar ``days`` (only then: it costs time), ``on_returns(summary, returns)`` gets
    every step's summaries (all configs, before the thresholds) and their daily returns.
    """
    if (days is None) != (on_returns is None):
        raise ValueError("daily returns need both a calendar (days) and on_returns")
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
        if days is None:
            summary = evaluate_chunk(assets, space, lo, hi, settings, markets)
        else:
            summary, returns = evaluate_chunk_returns(assets, space, lo, hi, settings, days, markets)
            if on_returns is not None:
                on_returns(summary, returns)
        if thresholds is not None:
            summary = summary[thresholds.passed(summary)]
        found.extend((int(row["index"]), _summary_dict(row)) for row in summary)
        if progress:
            progress(hi - start_index, total, f"configs {lo}..{hi - 1}")
    return found


def _summary_dict(row: np.void) -> dict:
    out = {name: row[name].item() for name in SUMMARY_DTYPE.names or () if name != "index"}
    out["profit_factor"] = none_if_nan(out["profit_factor"])  # None: no losing position
    return out
