"""Serializer fields with bounds: every number, string and list of the API has a limit."""

from __future__ import annotations

import json

from rest_framework import serializers

MAX_PATH_CHARS = 1024  # a folder, file or URL given by a user
MAX_NAME_CHARS = 200
MAX_NOTE_CHARS = 10_000
MAX_TIME_MS = 4_102_444_800_000  # 2100-01-01: any time in ms beyond is a mistake
MAX_ID = 2**53  # an object id (integers beyond are not ids)
MAX_LIST_ITEMS = 1000


class StrictBooleanField(serializers.BooleanField):
    """``true`` or ``false`` only (JSON booleans, or those words in a query string or form)."""

    TRUE_VALUES = {True, "true", "True", "TRUE"}
    FALSE_VALUES = {False, "false", "False", "FALSE"}
    NULL_VALUES = set()

    def to_internal_value(self, data):
        if isinstance(data, (str, bool)) and data in self.TRUE_VALUES:
            return True
        if isinstance(data, (str, bool)) and data in self.FALSE_VALUES:
            return False
        self.fail("invalid", input=str(data)[:100])


class BoundedDictField(serializers.DictField):
    """A JSON object of at most ``max_items`` keys and ``max_bytes`` once serialised."""

    def __init__(self, *, max_items: int = 50, max_bytes: int = 20_000, **kwargs):
        self.max_items = max_items
        self.max_bytes = max_bytes
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if len(value) > self.max_items:
            raise serializers.ValidationError(f"At most {self.max_items} keys (got {len(value)}).")
        try:
            size = len(json.dumps(value, allow_nan=False))
        except (TypeError, ValueError):
            raise serializers.ValidationError("Expected plain JSON values (no NaN or Infinity).") from None
        if size > self.max_bytes:
            raise serializers.ValidationError(f"At most {self.max_bytes:,} characters of JSON (got {size:,}).")
        return value


def object_id(**kwargs) -> serializers.IntegerField:
    """An object id: a positive integer within the range of ids."""
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)
