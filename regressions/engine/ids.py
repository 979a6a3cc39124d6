"""Deterministic regression ids: ``<template>_<32 hex>``.

The hex part is a sha256 over the epoch id, the epoch's data fingerprint and the canonical
JSON of the training config (without ``id`` and ``description``). Regenerating a grid gives
the same ids; another epoch or other data gives new ones, so ids stay globally unique as
Epoca requires (its certificate tables use them as primary keys).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

__all__ = [
    "ID_MAX_LENGTH",
    "ID_MIN_LENGTH",
    "UNIT_TEST_PREFIX",
    "canonical_json",
    "config_digest",
    "is_regression_id",
    "regression_id",
    "split_regression_id",
    "unit_test_id",
]

UNIT_TEST_PREFIX = "KR_UNIT_TEST"
ID_MIN_LENGTH, ID_MAX_LENGTH = 30, 200  # Epoca's model id rule
_DIGEST_CHARS = 32
_ID_PATTERN = re.compile(r"^(?P<template>KR_[A-Z0-9_]+?)_(?P<digest>[0-9a-f]{32})$")


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no whitespace; NaN/Infinity refused."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False)


def config_digest(config: Mapping[str, Any], *, epoch_id: str, fingerprint: str) -> str:
    """32 lowercase hex chars identifying ``config`` within one epoch and one data set."""
    if not epoch_id or not fingerprint:
        raise ValueError("config_digest: epoch_id and fingerprint are required")
    payload = {k: v for k, v in config.items() if k not in ("id", "description")}
    text = canonical_json({"epoch_id": epoch_id, "fingerprint": fingerprint, "config": payload})
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:_DIGEST_CHARS]


def regression_id(config: Mapping[str, Any], *, epoch_id: str, fingerprint: str) -> str:
    """Id of a grid config, prefixed with its template name, e.g. ``KR_CDNN_S4_0c5c…``."""
    template = config["keras_model"]["name"]
    return f"{template}_{config_digest(config, epoch_id=epoch_id, fingerprint=fingerprint)}"


def unit_test_id(config: Mapping[str, Any], *, epoch_id: str, fingerprint: str) -> str:
    """Id of the unit-test regression: ``KR_UNIT_TEST_<hex>``."""
    return f"{UNIT_TEST_PREFIX}_{config_digest(config, epoch_id=epoch_id, fingerprint=fingerprint)}"


def split_regression_id(value: str) -> tuple[str, str]:
    """Return ``(template, digest)`` of a well-formed id, or raise ``ValueError``."""
    if not isinstance(value, str) or not ID_MIN_LENGTH <= len(value) <= ID_MAX_LENGTH:
        raise ValueError(f"regression id {value!r}: length must be {ID_MIN_LENGTH}-{ID_MAX_LENGTH}")
    match = _ID_PATTERN.match(value)
    if not match:
        raise ValueError(f"regression id {value!r}: expected KR_<TEMPLATE>_<32 lowercase hex>")
    return match["template"], match["digest"]


def is_regression_id(value: Any) -> bool:
    """True when ``value`` has the shape of a regression id."""
    try:
        split_regression_id(value)
    except ValueError:
        return False
    return True
