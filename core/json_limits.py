"""JSON read with bounds: size and nesting depth are checked before the parser runs.

Python's ``json`` recurses once per nesting level, so 50,000 ``[`` end in ``RecursionError``;
the depth is measured here on the raw bytes (strings blanked out first), without parsing.
No Django import: the Epoch File engine uses it too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import numpy as np

from core.files import human_size

DEFAULT_MAX_DEPTH = 32

# A JSON string literal (escapes included), in the unrolled form that never backtracks.
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
_OPEN = (ord("["), ord("{"))
_CLOSE = (ord("]"), ord("}"))


class JSONLimitError(ValueError):
    """The document is larger or deeper than allowed; the message names the limit."""


def json_depth(data: bytes) -> int:
    """The deepest nesting of arrays and objects in ``data`` (0 for a scalar)."""
    raw = np.frombuffer(_STRING.sub(b'""', data), dtype=np.uint8)
    if raw.size == 0:
        return 0
    steps = np.isin(raw, _OPEN).astype(np.int32) - np.isin(raw, _CLOSE).astype(np.int32)
    return int(np.cumsum(steps).max(initial=0))


def check_json_bounds(data: bytes, *, max_bytes: int, max_depth: int = DEFAULT_MAX_DEPTH, what: str = "JSON") -> None:
    if len(data) > max_bytes:
        raise JSONLimitError(f"{what}: {human_size(len(data))} exceeds the limit of {human_size(max_bytes)}")
    depth = json_depth(data)
    if depth > max_depth:
        raise JSONLimitError(f"{what}: nested {depth} levels deep, more than the limit of {max_depth}")


def loads_bounded(
    data: bytes,
    *,
    max_bytes: int,
    max_depth: int = DEFAULT_MAX_DEPTH,
    what: str = "JSON",
    parse_constant: Callable[[str], Any] | None = None,
) -> Any:
    """``json.loads`` after :func:`check_json_bounds`; raises :class:`JSONLimitError` or ``ValueError``."""
    check_json_bounds(data, max_bytes=max_bytes, max_depth=max_depth, what=what)
    return json.loads(data.decode("utf-8"), parse_constant=parse_constant)
