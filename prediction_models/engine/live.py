"""Epoca's live prediction inputs, on candles the epoch never saw (EPOCA_CONTRACT.md §3.2).

For a decision at the open of prediction candle ``i``, Epoca's prediction service takes the
``sma_window_size + lookback - 1`` closes before it, computes a rolling mean over
``sma_window_size`` and drops the undefined rows, leaving ``lookback`` SMA values; it refuses
to predict unless ``max(sma) < highest_price_sma`` and ``min(sma) > lowest_price_sma``
(strict), and otherwise normalises each value with the epoch's bounds. The feature is then the
builder's: the scaled, rounded % change of the last prediction step against the last
normalised input (``assets.feature_from_prediction``).

The builder decides on closed candles, as its backtest does; Epoca's core also feeds the
still-forming candle, which no backtest can replay.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import ArrayLike


@dataclasses.dataclass(frozen=True)
class LiveWindows:
    """One row per decision: the SMA input Epoca computes, normalised, and whether it refuses it."""

    sma: np.ndarray  # float64 (D, lookback)
    normalized: np.ndarray  # float64 (D, lookback)
    refused: np.ndarray  # bool (D,)

    def __len__(self) -> int:
        return len(self.refused)


def history_needed(sma_window_size: int, lookback: int) -> int:
    """Closes Epoca reads before each decision."""
    return sma_window_size + lookback - 1


def live_windows(
    closes: ArrayLike, *, sma_window_size: int, lookback: int, highest: float, lowest: float
) -> LiveWindows:
    """Epoca's inputs for decisions at candles ``n .. len(closes) - 1`` (``n = history_needed``).

    Decision ``d`` reads ``closes[d : d + n]``: each SMA is computed from that slice alone,
    as Epoca's service does per request.
    """
    if not highest > lowest:
        raise ValueError(f"highest_price_sma ({highest}) must exceed lowest_price_sma ({lowest})")
    n = history_needed(sma_window_size, lookback)
    closes = np.asarray(closes, dtype=np.float64)
    if len(closes) <= n:
        raise ValueError(f"{len(closes)} closes leave no decision: each needs the {n} closes before it")
    slices = sliding_window_view(closes, n)[: len(closes) - n]
    sma = pd.DataFrame(slices.T).rolling(sma_window_size).mean().to_numpy()[sma_window_size - 1 :].T
    sma = np.ascontiguousarray(sma)
    refused = (sma.max(axis=1) >= highest) | (sma.min(axis=1) <= lowest)
    normalized = (sma - lowest) / (highest - lowest)
    return LiveWindows(sma=sma, normalized=normalized, refused=refused)
