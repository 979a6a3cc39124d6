"""Probability of Backtest Overfitting by combinatorially symmetric cross-validation (CSCV;
Bailey, Borwein, Lopez de Prado and Zhu, 2017).

The selection period's days are cut into ``S`` contiguous blocks. For every choice of ``S/2``
blocks as the in-sample (IS) set, the rest being out-of-sample (OOS), the config that the
ranking function puts first IS is located among all configs OOS: its average rank ``w`` (1 for
the worst; ties share their average rank) gives the relative rank ``w / (N + 1)`` and the logit
``lambda = ln(w / (N + 1 - w))``. PBO is the share of splits whose ``lambda <= 0``: the IS best
did no better than the OOS median.

Only each config's per-block sums are needed (``n_configs x S``), so a search keeps those and
not its daily returns.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Callable, Mapping, Sequence

import numpy as np

DEFAULT_BLOCKS = 8
RETURNS = "returns"

# A ranking function gets each config's statistics summed over a set of blocks (always
# ``"returns"``, the sum of its daily returns; others where the search gave them) and answers one
# score array, or a tuple of them compared in order (the first decides, the next breaks ties);
# higher is better. Remaining ties go to the lowest config index.
Ranking = Callable[[Mapping[str, np.ndarray]], "np.ndarray | Sequence[np.ndarray]"]


def total_return(stats: Mapping[str, np.ndarray]) -> np.ndarray:
    """The default ranking: the sum of the daily returns over the blocks."""
    return stats[RETURNS]


def block_edges(n_days: int, blocks: int = DEFAULT_BLOCKS) -> np.ndarray:
    """``blocks + 1`` day indices cutting ``n_days`` into contiguous blocks whose lengths differ by one at most."""
    if blocks < 2 or blocks % 2:
        raise ValueError(f"PBO blocks must be an even number >= 2, got {blocks}")
    if n_days < blocks:
        raise ValueError(f"PBO needs at least one day per block: {n_days} days for {blocks} blocks")
    return np.array([0, *np.cumsum([len(b) for b in np.array_split(np.arange(n_days), blocks)])], np.int64)


def block_sums(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Per-config sums of ``values[n_configs, n_days]`` over each block (``n_configs x S``)."""
    values = np.asarray(values, dtype=np.float64)
    return np.add.reduceat(values, edges[:-1], axis=1) if values.shape[0] else np.zeros((0, len(edges) - 1))


def splits(blocks: int) -> list[tuple[int, ...]]:
    """The IS block sets, ``C(S, S/2)`` of them, in lexicographic order."""
    return list(itertools.combinations(range(blocks), blocks // 2))


def _keys(scores: np.ndarray | Sequence[np.ndarray]) -> list[np.ndarray]:
    keys = list(scores) if isinstance(scores, (tuple, list)) else [scores]
    return [np.asarray(k, dtype=np.float64) for k in keys]


def _pick(keys: list[np.ndarray], config_index: np.ndarray) -> int:
    """Position of the config ranked first (lexicographic on ``keys``, then the lowest index)."""
    candidates = np.arange(len(config_index))
    for key in keys:
        k = np.where(np.isnan(key[candidates]), -np.inf, key[candidates])
        candidates = candidates[k == k.max()]
        if len(candidates) == 1:
            break
    return int(candidates[np.argmin(config_index[candidates])])


def _average_rank(keys: list[np.ndarray], at: int) -> float:
    """1-based average rank of config ``at`` among all on ``keys`` (lexicographic, ascending)."""
    less = np.zeros(len(keys[0]), np.bool_)
    equal = np.ones(len(keys[0]), np.bool_)
    for key in keys:
        key = np.where(np.isnan(key), -np.inf, key)
        v = key[at]
        less |= equal & (key < v)
        equal &= key == v
    return float(less.sum()) + (float(equal.sum()) + 1.0) / 2.0


@dataclasses.dataclass(frozen=True)
class PBOResult:
    pbo: float | None
    reason: str
    configs: int
    blocks: int
    logits: list[float]  # one per split
    relative_ranks: list[float]  # w / (N + 1) per split
    is_performance: list[float]  # the IS pick's first ranking score IS, per split
    oos_performance: list[float]  # and OOS: the performance-degradation plot's points
    picks: list[int]  # config index picked IS, per split
    degradation_slope: float | None  # least-squares line OOS = a + b * IS through the points
    degradation_intercept: float | None
    probability_of_oos_loss: float | None  # share of splits whose pick lost OOS (first score < 0)

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


def _fit(x: np.ndarray, y: np.ndarray) -> tuple[float | None, float | None]:
    if len(x) < 2 or not np.ptp(x) > 0:
        return None, None
    slope, intercept = np.polyfit(x, y, 1)
    return (float(slope), float(intercept)) if math.isfinite(slope) and math.isfinite(intercept) else (None, None)


def pbo(
    sums: Mapping[str, np.ndarray] | np.ndarray,
    config_index: np.ndarray | None = None,
    ranking: Ranking = total_return,
) -> PBOResult:
    """PBO from per-block sums: ``sums[name]`` is ``n_configs x S`` (a bare array is ``"returns"``)."""
    if not isinstance(sums, Mapping):
        sums = {RETURNS: sums}
    sums = {name: np.asarray(v, dtype=np.float64) for name, v in sums.items()}
    if RETURNS not in sums:
        raise ValueError(f"PBO needs the per-block sums of {RETURNS!r}, got {sorted(sums)}")
    n, s = sums[RETURNS].shape
    for name, v in sums.items():
        if v.shape != (n, s):
            raise ValueError(f"per-block sums {name!r} have shape {v.shape}, expected {(n, s)}")
    config_index = np.arange(n) if config_index is None else np.asarray(config_index, np.int64)
    empty = PBOResult(None, "", n, s, [], [], [], [], [], None, None, None)
    if n < 2:
        return dataclasses.replace(empty, reason=f"{n} config(s): PBO compares at least 2")
    if s < 2 or s % 2:
        return dataclasses.replace(empty, reason=f"{s} blocks: CSCV needs an even number >= 2")
    logits, ranks, is_perf, oos_perf, picks = [], [], [], [], []
    everything = np.arange(s)
    for train in splits(s):
        test = np.setdiff1d(everything, train)
        is_keys = _keys(ranking({k: v[:, train].sum(axis=1) for k, v in sums.items()}))
        oos_keys = _keys(ranking({k: v[:, test].sum(axis=1) for k, v in sums.items()}))
        at = _pick(is_keys, config_index)
        w = _average_rank(oos_keys, at) / (n + 1)
        logits.append(math.log(w / (1 - w)))
        ranks.append(w)
        is_perf.append(float(is_keys[0][at]))
        oos_perf.append(float(oos_keys[0][at]))
        picks.append(int(config_index[at]))
    logits_a = np.array(logits)
    slope, intercept = _fit(np.array(is_perf), np.array(oos_perf))
    finite = [v for v in oos_perf if math.isfinite(v)]
    return PBOResult(
        pbo=float((logits_a <= 0).mean()),
        reason="",
        configs=n,
        blocks=s,
        logits=logits,
        relative_ranks=ranks,
        is_performance=is_perf,
        oos_performance=oos_perf,
        picks=picks,
        degradation_slope=slope,
        degradation_intercept=intercept,
        probability_of_oos_loss=float(np.mean(np.array(finite) < 0)) if finite else None,
    )
