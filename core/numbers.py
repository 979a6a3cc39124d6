"""Numbers as pages and the admin show them: rounded for reading, never a float's full repr."""

from __future__ import annotations

import math


def readable(value: float | int | None, digits: int = 2) -> str | None:
    """``1720.8300000000017`` as ``1720.83``: ``digits`` decimals from 1 up, four significant
    digits below (a learning rate of ``1e-05`` or a loss of ``0.002135`` keeps its meaning).

    ``None`` gives ``None``; infinities and NaN read as ``∞``, ``-∞`` and ``NaN``.
    """
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    number = float(value)
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "∞" if number > 0 else "-∞"
    if number == 0 or abs(number) >= 1:
        return f"{number:.{digits}f}"
    return f"{number:.4g}"
