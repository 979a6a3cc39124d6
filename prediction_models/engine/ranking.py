"""How the build ranks the profitable configs, and the same ranking for the PBO's in-sample pick.

``profit`` is the original's order: profit, then accuracy, then the lowest config index. Among
many configs the largest profit is mostly the luckiest, so the default is ``profit_lcb``: the
lower confidence bound of the mean profit per position,

    LCB = mean - z * sd / sqrt(n)

over the config's ``n`` positions in the selection period (``z`` = 1.645: a one-sided 95 %
bound; ``sd`` with ddof = 1). Every position of a config wins ``net_profit`` or loses
``net_loss`` (fixed per price change requirement), so with ``w`` wins the mean is
``profit / n`` and ``sd = (net_profit + net_loss) * sqrt(w * (n - w) / (n * (n - 1)))``. A
config with fewer than 2 positions has no bound and ranks after every config that has one.
Ties are broken by profit, accuracy and the lowest config index.

The PBO ranks by the block-level analogue (see :func:`pbo_ranking`): the same bound of the
mean daily return over the in-sample days.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from prediction_models.engine.overfitting.pbo import RETURNS, Ranking, total_return

PROFIT, PROFIT_LCB = "profit", "profit_lcb"
RANKINGS = (PROFIT, PROFIT_LCB)
DEFAULT_RANKING = PROFIT_LCB
LCB_Z = 1.645
# The extra daily series a search gives the accumulator for each ranking's PBO analogue.
SQUARES, DAYS = "squares", "days"


def _check(name: str) -> None:
    if name not in RANKINGS:
        raise ValueError(f"unknown ranking {name!r}; one of {RANKINGS}")


def profit_lcb(
    profit: np.ndarray, positions: np.ndarray, wins: np.ndarray, net_profit: np.ndarray, net_loss: np.ndarray
) -> np.ndarray:
    """Per config: the lower bound of its mean profit per position; -inf below 2 positions."""
    profit, n, w = (np.asarray(v, dtype=np.float64) for v in (profit, positions, wins))
    width = np.broadcast_to(np.asarray(net_profit, dtype=np.float64) + np.asarray(net_loss, dtype=np.float64), n.shape)
    out = np.full(n.shape, -np.inf)
    ok = n >= 2
    mean = profit[ok] / n[ok]
    sd = width[ok] * np.sqrt(w[ok] * (n[ok] - w[ok]) / (n[ok] * (n[ok] - 1)))
    out[ok] = mean - LCB_Z * sd / np.sqrt(n[ok])
    return out


def rank_order(
    name: str,
    config_index: np.ndarray,
    profit: np.ndarray,
    accuracy: np.ndarray,
    lcb: np.ndarray | None = None,
) -> np.ndarray:
    """Positions of the configs, best first, under ranking ``name`` (``lcb`` needed for ``profit_lcb``)."""
    _check(name)
    keys = [np.asarray(config_index), -np.asarray(accuracy, np.float64), -np.asarray(profit, np.float64)]
    if name == PROFIT_LCB:
        if lcb is None:
            raise ValueError("the profit_lcb ranking needs each config's bound")
        keys.append(-np.asarray(lcb, np.float64))
    return np.lexsort(keys)  # the last key decides first


def extra_series(name: str, returns: np.ndarray) -> dict[str, np.ndarray]:
    """The daily series (besides the returns) whose block sums the PBO's analogue of ``name`` reads."""
    _check(name)
    if name == PROFIT:
        return {}
    return {SQUARES: np.square(returns), DAYS: np.ones_like(returns)}


def _daily_lcb(stats: Mapping[str, np.ndarray]) -> np.ndarray:
    n = stats[DAYS]
    total = stats[RETURNS]
    mean = total / n
    variance = np.maximum(stats[SQUARES] - total * mean, 0.0) / np.maximum(n - 1, 1)
    return np.where(n >= 2, mean - LCB_Z * np.sqrt(variance / n), -np.inf)


def pbo_ranking(name: str) -> Ranking:
    """The PBO's in-sample ranking for the build's ranking ``name``, from per-block sums.

    ``profit``: the total of the daily returns (the compounded profit orders configs alike
    up to compounding). ``profit_lcb``: ``mean - z * sd / sqrt(n)`` of the daily returns over
    the ``n`` days of the blocks, then their total (ties)."""
    _check(name)
    if name == PROFIT:
        return total_return

    def lcb(stats: Mapping[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        return _daily_lcb(stats), stats[RETURNS]

    return lcb
