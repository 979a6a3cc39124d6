"""The features Epoca computes from a regression's outputs (EPOCA_CONTRACT §3.2)."""

from __future__ import annotations

import math

from .format import MAX_FEATURE_VALUE, MIN_FEATURE_VALUE, ROUNDING_EDGE_PERCENT


def feature(last_input: float, last_prediction: float) -> tuple[float, float]:
    """``(feature, raw percentage change)`` of one regression run, as Epoca's prediction API computes it."""
    change = 0.0
    if last_prediction > last_input:
        change = (last_prediction - last_input) / last_input * 100
    elif last_input > last_prediction:
        change = -((last_input - last_prediction) / last_input * 100)
    raw = change
    change = round(change if change >= -100 else -100, 2)
    magnitude = abs(change)
    if magnitude < MIN_FEATURE_VALUE:
        return 0.0, raw
    scaled = round((min(magnitude, MAX_FEATURE_VALUE) - MIN_FEATURE_VALUE) / (MAX_FEATURE_VALUE - MIN_FEATURE_VALUE), 6)
    return (scaled if change > 0 else -scaled), raw


def at_rounding_edge(raw_change: float) -> bool:
    scaled = abs(raw_change) * 100
    return abs(scaled - math.floor(scaled) - 0.5) * 0.01 < ROUNDING_EDGE_PERCENT
