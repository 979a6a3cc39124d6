"""Discovery: how often a model's increase/decrease calls came true (Epoca's ``IDiscovery``).

Two paths give identical output:

* :class:`Discovery`, the event accumulator of the original (one call per prediction);
* :func:`discovery_from_arrays`, a NumPy path for long series (prediction-model searches run
  discoveries many times).

Rounding follows the original: Python's ``round`` (correctly rounded decimal), 2 decimals for
percentages and points, 6 for list statistics. The array helpers reproduce Python's rounding
exactly, so the two paths never differ by a last-digit tie.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from epochs.engine.epoch_file_contract import POINTS_HIST_LENGTH

__all__ = [
    "DISCOVERY_KEYS",
    "POINTS_HIST_SAMPLES",
    "Discovery",
    "alter_by_pct",
    "discovery_from_arrays",
    "pct_change",
    "pct_change_array",
    "pct_of_total",
    "regression_discovery",
    "round_array",
]

DISCOVERY_KEYS = (
    "neutral_num",
    "increase_num",
    "decrease_num",
    "neutral_outcome_num",
    "increase_outcome_num",
    "decrease_outcome_num",
    "points_hist",
    "points",
    "increase_accuracy",
    "decrease_accuracy",
    "accuracy",
    "increase_list",
    "increase_min",
    "increase_max",
    "increase_mean",
    "increase_median",
    "decrease_list",
    "decrease_min",
    "decrease_max",
    "decrease_mean",
    "decrease_median",
    "increase_successful_list",
    "increase_successful_mean",
    "increase_successful_median",
    "increase_unsuccessful_list",
    "increase_unsuccessful_mean",
    "increase_unsuccessful_median",
    "decrease_successful_list",
    "decrease_successful_mean",
    "decrease_successful_median",
    "decrease_unsuccessful_list",
    "decrease_unsuccessful_mean",
    "decrease_unsuccessful_median",
)
POINTS_HIST_SAMPLES = POINTS_HIST_LENGTH  # what the GUI plots


# ---------------------------------------------------------------- helpers


def pct_change(old: float, new: float) -> float:
    """Percentage change from ``old`` to ``new``: 0 when ``old`` is 0, floored at -100, 2 decimals."""
    if old == 0:
        return 0
    change = (new - old) / old * 100 if new != old else 0.0
    return round(change if change >= -100 else -100, 2)


def alter_by_pct(value: float, pct: float) -> float:
    """``value`` moved by ``pct`` percent, 2 decimals."""
    if pct > 0:
        value = (pct / 100 + 1) * value
    elif pct < 0:
        value = -((-pct) / 100 - 1) * value
    return round(value, 2)


def pct_of_total(value: float, total: float) -> float:
    """``value`` as a percentage of ``total``, 2 decimals."""
    return round(value * 100 / total, 2)


def round_array(values: np.ndarray, ndigits: int) -> np.ndarray:
    """Element-wise Python ``round(v, ndigits)`` on a float64 array.

    ``np.round`` scales, rounds half-to-even and unscales, which can pick the other neighbour
    when the scaled value sits (almost) exactly on a .5 tie; those few elements are redone with
    Python's ``round``. Away from ties both give the double nearest to the same decimal.
    """
    values = np.asarray(values, dtype=np.float64)
    rounded = np.round(values, ndigits)
    scaled = values * 10.0**ndigits
    with np.errstate(invalid="ignore"):
        tie_distance = np.abs(scaled - np.floor(scaled) - 0.5)
    near_tie = np.isfinite(scaled) & (tie_distance <= np.abs(scaled) * 1e-14 + 1e-12)
    if near_tie.any():
        rounded[near_tie] = [round(v, ndigits) for v in values[near_tie].tolist()]
    return rounded


def pct_change_array(old: np.ndarray, new: np.ndarray) -> np.ndarray:
    """Vectorised :func:`pct_change` with identical results."""
    old = np.asarray(old, dtype=np.float64)
    new = np.asarray(new, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        change = np.where(new == old, 0.0, (new - old) / old * 100)
    change = round_array(np.maximum(change, -100.0), 2)
    return np.where(old == 0, 0.0, change)


# ---------------------------------------------------------------- shared builder


def _stat(values: np.ndarray, fn: Callable[[np.ndarray], Any]) -> float:
    return round(float(fn(values)), 6) if values.size else 0.0


def _sample_points(points_hist: Sequence[float]) -> list[float]:
    """Ten snapshots of the points history: at each tenth of it, the last one being the end."""
    n = len(points_hist)
    picks = [points_hist[int(n * k / POINTS_HIST_SAMPLES)] for k in range(1, POINTS_HIST_SAMPLES)]
    return [round(float(v), 2) for v in [*picks, points_hist[-1]]]


def _build(
    *,
    neutral_num: int,
    neutral_outcome_num: int,
    points_hist: Sequence[float],
    increase: np.ndarray,
    increase_ok: np.ndarray,
    decrease: np.ndarray,
    decrease_ok: np.ndarray,
) -> dict:
    inc_s, inc_u = increase[increase_ok], increase[~increase_ok]
    dec_s, dec_u = decrease[decrease_ok], decrease[~decrease_ok]
    inc_n, dec_n = increase.size, decrease.size
    successful = inc_s.size + dec_s.size
    out: dict = {
        "neutral_num": int(neutral_num),
        "increase_num": inc_n,
        "decrease_num": dec_n,
        "neutral_outcome_num": int(neutral_outcome_num),
        "increase_outcome_num": inc_s.size + dec_u.size,
        "decrease_outcome_num": dec_s.size + inc_u.size,
        "points_hist": _sample_points(points_hist),
        "points": round(float(points_hist[-1]), 2),
        "increase_accuracy": round(pct_of_total(inc_s.size, inc_n or 1), 2),
        "decrease_accuracy": round(pct_of_total(dec_s.size, dec_n or 1), 2),
        "accuracy": round(pct_of_total(successful, (inc_n + dec_n) or 1), 2),
    }
    for name, values, full in (
        ("increase", increase, True),
        ("decrease", decrease, True),
        ("increase_successful", inc_s, False),
        ("increase_unsuccessful", inc_u, False),
        ("decrease_successful", dec_s, False),
        ("decrease_unsuccessful", dec_u, False),
    ):
        out[f"{name}_list"] = values.tolist()
        if full:
            out[f"{name}_min"] = _stat(values, np.min)
            out[f"{name}_max"] = _stat(values, np.max)
        out[f"{name}_mean"] = _stat(values, np.mean)
        out[f"{name}_median"] = _stat(values, np.median)
    return {key: out[key] for key in DISCOVERY_KEYS}


# ---------------------------------------------------------------- accumulator


class Discovery:
    """Event accumulator: call one method per prediction, then :meth:`build`."""

    def __init__(self, reward: float = 1, penalty: float = 1) -> None:
        self.reward = reward
        self.penalty = penalty
        self.points_hist: list[float] = [0]
        self.neutral_num = 0
        self.neutral_outcome_num = 0
        self.increase_outcome_num = 0
        self.decrease_outcome_num = 0
        self.increase: list[float] = []
        self.increase_successful: list[float] = []
        self.increase_unsuccessful: list[float] = []
        self.decrease: list[float] = []
        self.decrease_successful: list[float] = []
        self.decrease_unsuccessful: list[float] = []
        self._increase_ok: list[bool] = []
        self._decrease_ok: list[bool] = []

    def neutral_pred(self) -> None:
        self.neutral_num += 1

    def neutral_outcome(self) -> None:
        self.neutral_outcome_num += 1

    def _score(self, successful: bool) -> None:
        last = self.points_hist[-1]
        self.points_hist.append(last + self.reward if successful else last - self.penalty)

    def increase_pred(self, value: float, successful: bool) -> None:
        self.increase.append(value)
        self._increase_ok.append(bool(successful))
        (self.increase_successful if successful else self.increase_unsuccessful).append(value)
        if successful:
            self.increase_outcome_num += 1
        else:
            self.decrease_outcome_num += 1
        self._score(successful)

    def decrease_pred(self, value: float, successful: bool) -> None:
        self.decrease.append(value)
        self._decrease_ok.append(bool(successful))
        (self.decrease_successful if successful else self.decrease_unsuccessful).append(value)
        if successful:
            self.decrease_outcome_num += 1
        else:
            self.increase_outcome_num += 1
        self._score(successful)

    def build(self) -> dict:
        return _build(
            neutral_num=self.neutral_num,
            neutral_outcome_num=self.neutral_outcome_num,
            points_hist=self.points_hist,
            increase=np.array(self.increase, dtype=np.float64),
            increase_ok=np.array(self._increase_ok, dtype=bool),
            decrease=np.array(self.decrease, dtype=np.float64),
            decrease_ok=np.array(self._decrease_ok, dtype=bool),
        )


# ---------------------------------------------------------------- vectorised


def discovery_from_arrays(
    values: np.ndarray,
    is_increase: np.ndarray,
    successful: np.ndarray,
    *,
    neutral_num: int = 0,
    neutral_outcome_num: int = 0,
    reward: float = 1,
    penalty: float = 1,
) -> dict:
    """Discovery of a chronological series of non-neutral predictions, without a Python loop.

    ``values[i]`` is the predicted value, ``is_increase[i]`` its direction and ``successful[i]``
    whether it came true. Same output as feeding the events one by one to :class:`Discovery`.
    """
    values = np.asarray(values, dtype=np.float64)
    is_increase = np.asarray(is_increase, dtype=bool)
    successful = np.asarray(successful, dtype=bool)
    if not values.shape == is_increase.shape == successful.shape or values.ndim != 1:
        raise ValueError("discovery_from_arrays: values, is_increase and successful must be 1-D of equal length")
    steps = np.where(successful, float(reward), -float(penalty))
    points_hist = np.concatenate(([0.0], np.cumsum(steps))).tolist()
    return _build(
        neutral_num=neutral_num,
        neutral_outcome_num=neutral_outcome_num,
        points_hist=points_hist,
        increase=values[is_increase],
        increase_ok=successful[is_increase],
        decrease=values[~is_increase],
        decrease_ok=successful[~is_increase],
    )


def regression_discovery(
    x_last: np.ndarray, y_last: np.ndarray, pred_last: np.ndarray, *, reward: float = 1, penalty: float = 1
) -> dict:
    """Discovery of a regression on its test windows.

    ``x_last``: last input value of each window; ``y_last``: true value ``predictions`` steps
    ahead; ``pred_last``: the model's last forecast step. A window whose real change is 0 is a
    neutral outcome; otherwise a predicted change of 0 is a neutral prediction, a positive one
    an increase call (right when the real change is positive) and a negative one a decrease call.
    """
    x_last, y_last, pred_last = (np.asarray(a, dtype=np.float64).ravel() for a in (x_last, y_last, pred_last))
    if not x_last.size == y_last.size == pred_last.size:
        raise ValueError("regression_discovery: x_last, y_last and pred_last must have the same length")
    if not (np.isfinite(x_last).all() and np.isfinite(y_last).all() and np.isfinite(pred_last).all()):
        raise ValueError("regression_discovery: inputs contain NaN or infinite values")
    real = pct_change_array(x_last, y_last)
    pred = pct_change_array(x_last, pred_last)
    has_outcome = real != 0
    called = has_outcome & (pred != 0)
    return discovery_from_arrays(
        pred[called],
        pred[called] > 0,
        np.sign(pred[called]) == np.sign(real[called]),
        neutral_num=int(np.count_nonzero(has_outcome & (pred == 0))),
        neutral_outcome_num=int(np.count_nonzero(~has_outcome)),
        reward=reward,
        penalty=penalty,
    )
