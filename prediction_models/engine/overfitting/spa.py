"""Superior Predictive Ability (Hansen, 2005), as ``arch.bootstrap.SPA`` computes it, config
chunk by config chunk.

Losses are negative daily returns, so a config's loss differential against a benchmark is its
daily return minus the benchmark's. ``arch.bootstrap.SPA`` keeps every config's bootstrapped
means at once (``k x reps x 3`` floats: ~18 GB for 755,820 configs and 1,000 replications).
The p-values only need, per replication, the maximum over configs of the re-centred
bootstrapped mean, and the maximum over configs of the mean; both maxima combine across
chunks. Every chunk therefore uses the same bootstrap indices: drawn once, from the seed, by
arch's own ``StationaryBootstrap`` (the one SPA uses), and reduced to a ``reps x days`` count
matrix so that a chunk's bootstrapped means are one matrix product.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Mapping

import numba as nb
import numpy as np

DEFAULT_REPS = 1000
RECENTERINGS = ("lower", "consistent", "upper")
_COLUMNS = 4096  # configs per matrix product: bounds the temporary reps x columns arrays


@nb.njit(cache=True, nogil=True)
def _max_recentred(
    simulated: np.ndarray, shift: np.ndarray, centres: np.ndarray, out: np.ndarray
) -> None:  # pragma: no cover - compiled
    """``out[r, j] = max(out[r, j], max_c((simulated[r, c] - shift[r]) - centres[j, c]))``.

    One pass over the ``reps x columns`` bootstrapped means for the three re-centrings, instead
    of a temporary array per re-centring; the same operations in the same order as numpy's
    ``((simulated - shift[:, None]) - centre).max(axis=1)``, so the maxima are bit-identical."""
    reps, columns = simulated.shape
    for r in range(reps):
        s = shift[r]
        for j in range(centres.shape[0]):
            best = out[r, j]
            for c in range(columns):
                value = (simulated[r, c] - s) - centres[j, c]
                if value > best:
                    best = value
            out[r, j] = best


def default_block_size(days: int) -> int:
    """arch's default: the integer part of sqrt(T)."""
    return int(np.sqrt(days))


@functools.lru_cache(maxsize=4)
def _counts(days: int, block_size: int, reps: int, seed: int) -> np.ndarray:
    from arch.bootstrap import StationaryBootstrap  # why: arch (and the scipy under it) is slow to import

    bootstrap = StationaryBootstrap(block_size, np.zeros(days), seed=seed)
    counts = np.zeros((reps, days))
    for r, _ in enumerate(bootstrap.bootstrap(reps)):
        counts[r] = np.bincount(bootstrap.index, minlength=days)  # type: ignore[arg-type]  # arch types every bootstrap's index; a StationaryBootstrap's is one int array
    counts.setflags(write=False)
    return counts


def bootstrap_counts(days: int, block_size: int, reps: int, seed: int) -> np.ndarray:
    """``counts[r, t]``: how often day ``t`` appears in replication ``r`` of the stationary
    bootstrap that ``arch.bootstrap.SPA(..., block_size=block_size, reps=reps, seed=seed)`` draws."""
    if days < 2 or block_size < 1 or reps < 1:
        raise ValueError(f"SPA needs days >= 2, block_size >= 1 and reps >= 1; got {days}, {block_size}, {reps}")
    return _counts(int(days), int(block_size), int(reps), int(seed))


def _kappa(days: int, block_size: int) -> np.ndarray:
    """The stationary bootstrap's weights of the autocovariances at lags 1..T-1 (Politis and Romano, 1994)."""
    t = days
    p = 1.0 / block_size
    i = np.arange(1, t, dtype=np.float64)
    return (1.0 - i / t) * (1 - p) ** i + (i / t) * (1 - p) ** (t - i)


@functools.lru_cache(maxsize=4)
def _weights(days: int, block_size: int) -> np.ndarray:
    """Symmetric Toeplitz matrix with 1 on the diagonal and kappa_i at lag i: arch's asymptotic
    variance of a mean differential, ``(sum_s x_s^2 + 2 sum_i kappa_i sum_s x_s x_{s+i}) / T``,
    is the quadratic form ``x' W x / T`` (one matrix product instead of a loop over lags)."""
    from scipy import linalg  # why: slow to import, needed only here

    weights = linalg.toeplitz(np.r_[1.0, _kappa(days, block_size)])
    weights.setflags(write=False)
    return weights


@dataclasses.dataclass
class SPAPartial:
    """What a chunk of configs contributes: per replication and re-centring, the maximum over its
    configs of the re-centred bootstrapped mean differential; and its largest mean differential."""

    max_simulated: np.ndarray  # reps x 3, -inf where no config was added
    max_mean: float = -math.inf
    configs: int = 0

    @classmethod
    def empty(cls, reps: int) -> SPAPartial:
        return cls(np.full((reps, 3), -np.inf))

    def merge(self, other: SPAPartial) -> None:
        if other.max_simulated.shape != self.max_simulated.shape:
            raise ValueError(
                f"SPA partials of {self.max_simulated.shape[0]} and {other.max_simulated.shape[0]} replications"
            )
        np.maximum(self.max_simulated, other.max_simulated, out=self.max_simulated)
        self.max_mean = max(self.max_mean, other.max_mean)
        self.configs += other.configs

    def pvalues(self) -> dict[str, float] | None:
        """Lower, consistent and upper p-values (arch's definitions); None before any config."""
        if self.configs == 0:
            return None
        p = (self.max_simulated > self.max_mean).mean(axis=0)
        return {name: float(v) for name, v in zip(RECENTERINGS, p, strict=False)}


def spa_chunk(
    returns: np.ndarray, benchmarks: Mapping[str, np.ndarray | None], counts: np.ndarray, block_size: int
) -> dict[str, SPAPartial]:
    """The partials of configs ``returns[n_configs, n_days]`` against each benchmark's daily
    returns (None: the flat benchmark, zero every day).

    Against benchmark ``b`` the loss differential is ``r - b`` (the benchmark's loss ``-b``
    minus the config's ``-r``), so the bootstrapped means and the variances are the configs'
    own, shifted by the benchmark's: one matrix product of each kind serves every benchmark.
    """
    returns = np.atleast_2d(np.asarray(returns, dtype=np.float64))
    k, t = returns.shape
    reps = counts.shape[0]
    if counts.shape[1] != t:
        raise ValueError(f"bootstrap counts are for {counts.shape[1]} days, the returns have {t}")
    weights = _weights(t, block_size)
    bench = {}
    for name, b in benchmarks.items():
        b = np.zeros(t) if b is None else np.asarray(b, dtype=np.float64).ravel()
        if b.shape != (t,):
            raise ValueError(f"benchmark {name!r} has {b.size} daily returns, the configs {t}")
        demeaned = b - b.mean()
        weighted = weights @ demeaned
        bench[name] = (b.mean(), counts @ b / t, demeaned, weighted, float(demeaned @ weighted))
    out = {name: SPAPartial.empty(reps) for name in benchmarks}
    if k == 0:
        return out
    # Below T = e^e, log log T < 0 and the threshold is NaN, as in arch (T >= 2 keeps log T > 0).
    log_log_t = 2 * np.log(np.log(t))
    for lo in range(0, k, _COLUMNS):
        r = returns[lo : lo + _COLUMNS].T  # days x columns
        r_mean = r.mean(axis=0)
        r_demeaned = r - r_mean
        r_weighted = weights @ r_demeaned
        r_quadratic = np.einsum("tk,tk->k", r_demeaned, r_weighted)
        r_simulated = counts @ r / t  # reps x columns: each replication's bootstrapped means
        for name, (b_mean, b_simulated, _b_demeaned, b_weighted, b_quadratic) in bench.items():
            mean = r_mean - b_mean
            # arch's variance of the mean differential: x' W x / T with x = (r - mean r) - (b - mean b).
            variance = (r_quadratic - 2 * (b_weighted @ r_demeaned) + b_quadratic) / t
            # Consistent: a config far below the benchmark (beyond sqrt(2 var/T log log T)) is not re-centred.
            with np.errstate(invalid="ignore"):
                threshold = -np.sqrt(variance / t * log_log_t)
            consistent = np.where(mean >= threshold, mean, 0.0)
            lower = np.maximum(mean, 0.0)
            partial = out[name]
            centres = np.ascontiguousarray(np.stack((lower, consistent, mean)))
            _max_recentred(r_simulated, np.ascontiguousarray(b_simulated), centres, partial.max_simulated)
            partial.max_mean = max(partial.max_mean, float(mean.max()))
    for partial in out.values():
        partial.configs = k
    return out


def spa_pvalues(
    benchmark_returns: np.ndarray,
    returns: np.ndarray,
    reps: int = DEFAULT_REPS,
    block_size: int | None = None,
    seed: int = 0,
) -> dict[str, float] | None:
    """One-shot SPA p-values of configs ``returns[n_configs, n_days]`` against a benchmark's daily returns."""
    returns = np.atleast_2d(np.asarray(returns, dtype=np.float64))
    benchmark_returns = np.asarray(benchmark_returns, dtype=np.float64).ravel()
    days = returns.shape[1]
    block_size = default_block_size(days) if block_size is None else block_size
    counts = bootstrap_counts(days, block_size, reps, seed)
    return spa_chunk(returns, {"benchmark": benchmark_returns}, counts, block_size)["benchmark"].pvalues()
