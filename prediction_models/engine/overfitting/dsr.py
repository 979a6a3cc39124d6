"""Deflated Sharpe Ratio (Bailey and Lopez de Prado, 2014).

    SR0 = sqrt(V[SR_n]) * ((1 - g) * Z^-1(1 - 1/N) + g * Z^-1(1 - 1/(N e)))
    DSR = Z((SR - SR0) * sqrt(T - 1) / sqrt(1 - skew * SR + (kurtosis - 1) / 4 * SR^2))

``SR`` is the model's per-period (daily, not annualised) Sharpe ratio over ``T`` days, ``skew``
and ``kurtosis`` (Pearson's, 3 for a normal law) the moments of its daily returns, ``V[SR_n]``
the variance of the trials' daily Sharpe ratios, ``N`` the number of independent trials and
``g`` the Euler-Mascheroni constant. A result is a number in [0, 1] or ``None`` with the reason:
never NaN nor Infinity.
"""

from __future__ import annotations

import dataclasses
import math
from types import ModuleType
from typing import TypedDict, Unpack

import numpy as np

EULER_GAMMA = 0.5772156649015329


@dataclasses.dataclass(frozen=True)
class DeflatedSharpe:
    value: float | None  # the probability that the true Sharpe ratio exceeds SR0
    reason: str  # why ``value`` is None; empty otherwise
    sharpe: float | None = None  # the model's daily Sharpe ratio
    expected_max_sharpe: float | None = None  # SR0
    trials: int = 0  # N
    days: int = 0  # T
    skewness: float | None = None
    kurtosis: float | None = None

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


class _Known(TypedDict, total=False):
    """What a ``DeflatedSharpe`` knows besides its value: as far as the computation got."""

    sharpe: float
    expected_max_sharpe: float
    trials: int
    days: int
    skewness: float
    kurtosis: float


def _stats() -> ModuleType:
    """scipy.stats, imported when first needed: it takes about a second, and every process of
    the application (each training child too) imports this module through the services."""
    from scipy import stats

    return stats


def _undefined(reason: str, **known: Unpack[_Known]) -> DeflatedSharpe:
    return DeflatedSharpe(value=None, reason=reason, **known)


def sharpe_ratios(returns: np.ndarray) -> np.ndarray:
    """Daily Sharpe ratio of each row (mean / standard deviation with ddof=1); NaN where the
    standard deviation is zero or fewer than two days are given."""
    returns = np.atleast_2d(np.asarray(returns, dtype=np.float64))
    out = np.full(returns.shape[0], np.nan)
    if returns.shape[1] < 2:
        return out
    mean = returns.mean(axis=1)
    std = returns.std(axis=1, ddof=1)
    # A series that varies by rounding noise only has no meaningful Sharpe ratio.
    ok = std > 1e-12 * np.maximum(np.abs(returns).max(axis=1), 1e-300)
    out[ok] = mean[ok] / std[ok]
    return out


def expected_max_sharpe(sharpe_variance: float, trials: int) -> float:
    """SR0: the expected maximum of ``trials`` daily Sharpe ratios of skill-less strategies."""
    if trials == 1:
        return 0.0  # the expected value of a single draw of a zero-mean normal
    z = _stats().norm.ppf
    return float(
        math.sqrt(sharpe_variance)
        * ((1 - EULER_GAMMA) * z(1 - 1 / trials) + EULER_GAMMA * z(1 - 1 / (trials * math.e)))
    )


def deflated_sharpe_from_moments(
    sharpe: float,
    days: int,
    skewness: float,
    kurtosis: float,
    sharpe_variance: float | None,
    trials: int,
) -> DeflatedSharpe:
    """The DSR from the model's daily Sharpe ratio, its moments and the trials' Sharpe variance."""
    known: _Known = {"trials": int(trials), "days": int(days)}
    if trials < 1:
        return _undefined("no trial was made", **known)
    if days < 2:
        return _undefined(f"{days} day(s) of returns: a Sharpe ratio needs at least 2", **known)
    if not all(math.isfinite(v) for v in (sharpe, skewness, kurtosis)):
        return _undefined("the model's returns have no Sharpe ratio (constant series)", **known)
    known.update({"sharpe": float(sharpe), "skewness": float(skewness), "kurtosis": float(kurtosis)})
    if trials > 1 and (sharpe_variance is None or not math.isfinite(sharpe_variance) or sharpe_variance < 0):
        return _undefined(
            "the trials' Sharpe variance is undefined (fewer than 2 configs with a Sharpe ratio)", **known
        )
    sr0 = expected_max_sharpe(float(sharpe_variance or 0.0), int(trials))
    known["expected_max_sharpe"] = float(sr0)
    denominator = 1 - skewness * sharpe + (kurtosis - 1) / 4 * sharpe**2
    if not denominator > 0:
        return _undefined(
            "the Sharpe ratio's standard error is undefined (1 - skew*SR + (kurtosis-1)/4*SR^2 <= 0)", **known
        )
    value = float(_stats().norm.cdf((sharpe - sr0) * math.sqrt(days - 1) / math.sqrt(denominator)))
    return DeflatedSharpe(value=value, reason="", **known)


def deflated_sharpe(returns: np.ndarray, sharpe_variance: float | None, trials: int) -> DeflatedSharpe:
    """The DSR of one model's daily returns against ``trials`` trials of Sharpe variance
    ``sharpe_variance`` (``TrialSharpe.variance`` of the search)."""
    returns = np.asarray(returns, dtype=np.float64).ravel()
    days = returns.size
    if days and not np.isfinite(returns).all():
        return _undefined("the model's daily returns hold NaN or Infinity", trials=int(trials), days=days)
    sharpe = sharpe_ratios(returns)[0] if days else math.nan
    if not math.isfinite(sharpe):
        reason = (
            f"{days} day(s) of returns: a Sharpe ratio needs at least 2"
            if days < 2
            else "the model's daily returns are constant: no Sharpe ratio"
        )
        return _undefined(reason, trials=int(trials), days=days)
    skewness = float(_stats().skew(returns, bias=True))
    kurtosis = float(_stats().kurtosis(returns, fisher=False, bias=True))
    return deflated_sharpe_from_moments(float(sharpe), days, skewness, kurtosis, sharpe_variance, trials)


@dataclasses.dataclass
class TrialSharpe:
    """Count, mean and sum of squared deviations (Chan et al.'s mergeable form) of the daily Sharpe
    ratios of the configs with at least one position."""

    count: int = 0
    mean: float = 0.0
    m2: float = 0.0

    def add(self, sharpes: np.ndarray) -> None:
        sharpes = np.asarray(sharpes, dtype=np.float64)
        sharpes = sharpes[np.isfinite(sharpes)]
        if sharpes.size:
            self.merge(
                TrialSharpe(int(sharpes.size), float(sharpes.mean()), float(((sharpes - sharpes.mean()) ** 2).sum()))
            )

    def merge(self, other: TrialSharpe) -> None:
        if other.count == 0:
            return
        total = self.count + other.count
        delta = other.mean - self.mean
        self.m2 = self.m2 + other.m2 + delta * delta * self.count * other.count / total
        self.mean = self.mean + delta * other.count / total
        self.count = total

    @property
    def variance(self) -> float | None:
        """Sample variance (ddof=1); None with fewer than two values."""
        return self.m2 / (self.count - 1) if self.count >= 2 else None
