"""Prediction-model discovery (ORIGINAL.md §5.2 and §7.3 step 2), vectorised.

Over ``k < min(len(labels), F)``: a positive sum is an increase prediction (successful when
the label is 1), a negative sum a decrease prediction (successful when the label is -1), a
zero sum a neutral prediction. Reward and penalty are both 1. The result has the exact
``IDiscovery`` keys Epoca reads (EPOCA_CONTRACT.md §1.2).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from prediction_models.engine.rounding import pct_of_total


def _stat(function: Callable[[np.ndarray], Any], values: np.ndarray) -> float:
    return round(float(function(values if len(values) else np.zeros(1))), 6)


def _accuracy(successful: int, total: int) -> float:
    return round(pct_of_total(successful, total if total > 0 else 1), 2)


def points_samples(points_hist: np.ndarray) -> list:
    """Ten snapshots: ``points_hist[int(len * k / 10)]`` for k = 1..9, then the final value."""
    n = len(points_hist)
    samples = [points_hist[(n * k) // 10] for k in range(1, 10)] + [points_hist[-1]]
    return [round(v, 2) for v in np.asarray(samples).tolist()]


def discover(sums: np.ndarray | Sequence[float], labels: np.ndarray | Sequence[int]) -> dict:
    """``IDiscovery`` of one feature-sum series against the labels of one requirement."""
    n = min(len(labels), len(sums))
    s = np.asarray(sums, dtype=np.float64)[:n]
    label = np.asarray(labels)[:n]
    increase, decrease = s > 0, s < 0
    inc_ok, dec_ok = increase & (label == 1), decrease & (label == -1)
    inc_bad, dec_bad = increase & ~inc_ok, decrease & ~dec_ok
    decided = increase | decrease
    steps = np.where((inc_ok | dec_ok)[decided], 1, -1)
    points_hist = np.concatenate([[0], np.cumsum(steps)])

    lists = {
        "increase": s[increase],
        "decrease": s[decrease],
        "increase_successful": s[inc_ok],
        "increase_unsuccessful": s[inc_bad],
        "decrease_successful": s[dec_ok],
        "decrease_unsuccessful": s[dec_bad],
    }
    inc_num, dec_num = int(increase.sum()), int(decrease.sum())
    inc_ok_num, dec_ok_num = int(inc_ok.sum()), int(dec_ok.sum())
    result = {
        "neutral_num": int(n - decided.sum()),
        "increase_num": inc_num,
        "decrease_num": dec_num,
        "neutral_outcome_num": 0,  # labels are never neutral
        "increase_outcome_num": inc_ok_num + int(dec_bad.sum()),
        "decrease_outcome_num": dec_ok_num + int(inc_bad.sum()),
        "points_hist": points_samples(points_hist),
        "points": round(int(points_hist[-1]), 2),
        "increase_accuracy": _accuracy(inc_ok_num, inc_num),
        "decrease_accuracy": _accuracy(dec_ok_num, dec_num),
        "accuracy": _accuracy(inc_ok_num + dec_ok_num, inc_num + dec_num),
    }
    for side in ("increase", "decrease"):
        values = lists[side]
        result[f"{side}_list"] = values.tolist()
        result[f"{side}_min"] = _stat(np.min, values)
        result[f"{side}_max"] = _stat(np.max, values)
        result[f"{side}_mean"] = _stat(np.mean, values)
        result[f"{side}_median"] = _stat(np.median, values)
    for name in ("increase_successful", "increase_unsuccessful", "decrease_successful", "decrease_unsuccessful"):
        values = lists[name]
        result[f"{name}_list"] = values.tolist()
        result[f"{name}_mean"] = _stat(np.mean, values)
        result[f"{name}_median"] = _stat(np.median, values)
    return result
