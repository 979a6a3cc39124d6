"""Command-line argument types with ranges: a value out of range is refused by argparse, naming it."""

from __future__ import annotations

import argparse
import math


def bounded(kind: type, low: float, high: float):
    """An argparse ``type`` that reads ``kind`` and refuses values outside ``[low, high]``."""

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected {'an integer' if kind is int else 'a number'}, got {text[:40]!r}"
            ) from None
        if (isinstance(value, float) and not math.isfinite(value)) or not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be between {low:g} and {high:g}, got {text[:40]}")
        return value

    parse.__name__ = kind.__name__
    return parse


def bounded_text(max_length: int):
    def parse(text: str) -> str:
        if len(text) > max_length:
            raise argparse.ArgumentTypeError(f"at most {max_length} characters (got {len(text):,})")
        return text

    parse.__name__ = "text"
    return parse
