"""Market tables of the fast search: everything about the minutes that no config changes."""

from __future__ import annotations

import dataclasses

import numba as nb
import numpy as np

from prediction_models.engine.assets import _BLOCK, PredictionModelAssets, _block_extremes, first_touch
from prediction_models.engine.rounding import nb_alter_by_pct


@nb.njit(cache=True)
def _trade_tables(
    o: np.ndarray, h: np.ndarray, l: np.ndarray, ot: np.ndarray, ct: np.ndarray, stop: int, pcr: float
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
    def build(cls, assets: PredictionModelAssets, pcr: float) -> Market:
        f = assets.features_num
        k = np.ascontiguousarray(assets.lookback_indexer, dtype=np.int64)
        end = int(np.searchsorted(k, f, "left"))
        first = np.searchsorted(k, np.arange(f), "left")
        present = (first < len(k)) & (k[np.minimum(first, len(k) - 1)] == np.arange(f))
        m = assets.minutes
        longs, shorts = _trade_tables(m.o, m.h, m.l, m.ot, m.ct, end, float(pcr))
        return cls(
            float(pcr),
            f,
            end,
            k,
            np.where(present, first, -1).astype(np.int64),
            m.ot,
            m.ct,
            longs,
            shorts,
            labels=np.ascontiguousarray(assets.labels[float(pcr)], dtype=np.int8),
        )

    def resume(self, idle_minutes: int) -> np.ndarray:
        """First minute a new position may open after a close at each minute (``ot >= ct + idle``)."""
        if idle_minutes not in self._resume:
            self._resume[idle_minutes] = np.searchsorted(self.ot, self.ct + int(idle_minutes) * 60_000, "left")
        return self._resume[idle_minutes]
