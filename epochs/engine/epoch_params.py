"""Epoch parameters: the original's defaults and valid ranges, checked field by field.

Numbers are accepted as numbers or numeric strings (form input); float fields take any float
in range (the original's ``str.isdigit`` check made fractional values impossible to set).
"""
from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

from .candles import PREDICTION_INTERVALS_MINUTES
from .errors import EpochParameterError

ID_MIN_LENGTH, ID_MAX_LENGTH = 4, 100
_ID_CHARS = re.compile(r"[A-Z0-9_]+")


@dataclass(frozen=True)
class EpochParams:
    id: str
    seed: int = 60184
    epoch_width: int = 48  # months of 30 days
    sma_window_size: int = 25
    train_split: float = 0.75
    validation_split: float = 0.2
    regression_lookback: int = 128
    regression_predictions: int = 32
    exchange_fee: float = 0.065  # percent per side
    position_size: float = 10000  # USD
    leverage: int = 3
    idle_minutes_on_position_close: int = 180
    interval_minutes: int = 15  # prediction candles

    def to_dict(self) -> dict:
        return asdict(self)


# field -> (type, low, high), both bounds inclusive
RANGES: dict[str, tuple[type, float, float]] = {
    "seed": (int, 1, 100_000_000),
    "epoch_width": (int, 1, 80),
    "sma_window_size": (int, 10, 300),
    "train_split": (float, 0.6, 0.95),
    "validation_split": (float, 0.15, 0.4),
    "regression_lookback": (int, 32, 512),
    "regression_predictions": (int, 32, 256),
    "exchange_fee": (float, 0.02, 0.2),
    "position_size": (float, 100, 100_000_000),
    "leverage": (int, 1, 10),
    "idle_minutes_on_position_close": (int, 0, 1000),
}


def validate_epoch_id(value: Any) -> str:
    """Return ``value`` if it is a valid epoch id, else raise ``EpochParameterError``.

    An id starts with ``_``, is 4-100 characters of upper-case letters, digits and ``_`` (so it
    is also a safe directory name) and never contains ``KR_`` (Epoca reads any id containing
    ``KR_`` as a regression).
    """
    message = _id_problem(value)
    if message:
        raise EpochParameterError({"id": message})
    return value


def _id_problem(value: Any) -> str | None:
    if not isinstance(value, str):
        return "must be a string"
    upper = value.upper()
    if upper and not _ID_CHARS.fullmatch(upper):
        bad = sorted({ch for ch in upper if not _ID_CHARS.fullmatch(ch)})
        return f"only upper-case letters, digits and '_' are allowed (found {''.join(bad)!r})"
    if "KR_" in upper:
        return "must not contain 'KR_' (reserved for regression ids)"
    if value != upper:
        return f"must be upper case: use {upper!r}"
    if not value.startswith("_"):
        return "must start with '_'"
    if not ID_MIN_LENGTH <= len(value) <= ID_MAX_LENGTH:
        return f"must be {ID_MIN_LENGTH}-{ID_MAX_LENGTH} characters long (got {len(value)})"
    return None


def validate_epoch_params(values: Mapping[str, Any]) -> EpochParams:
    """Check every field (missing ones take the defaults) and report all problems at once."""
    errors: dict[str, str] = {}
    known = {f.name for f in fields(EpochParams)}
    for name in values:
        if name not in known:
            errors[name] = "unknown parameter"
    clean: dict[str, Any] = {}
    if "id" not in values:
        errors["id"] = "required"
    else:
        problem = _id_problem(values["id"])
        if problem:
            errors["id"] = problem
        clean["id"] = values["id"]
    for name, (kind, low, high) in RANGES.items():
        if name not in values:
            continue
        number, problem = _number(values[name], kind)
        if problem is None and not low <= number <= high:
            problem = f"must be between {low:g} and {high:g} (got {number:g})"
        if problem:
            errors[name] = problem
        clean[name] = number
    if "interval_minutes" in values:
        number, problem = _number(values["interval_minutes"], int)
        if problem is None and number not in PREDICTION_INTERVALS_MINUTES:
            problem = f"must be one of {PREDICTION_INTERVALS_MINUTES} (got {number})"
        if problem:
            errors["interval_minutes"] = problem
        clean["interval_minutes"] = number
    if errors:
        raise EpochParameterError(errors)
    return EpochParams(**clean)


def _number(value: Any, kind: type) -> tuple[Any, str | None]:
    expected = "an integer" if kind is int else "a number"
    if isinstance(value, bool) or value is None:
        return None, f"must be {expected}"
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return None, f"must be {expected} (got {value!r})"
    if not isinstance(value, (int, float)) or not math.isfinite(value):
        return None, f"must be {expected}"
    if kind is int:
        if float(value) != int(value):
            return None, f"must be an integer (got {value})"
        return int(value), None
    return float(value), None
