"""``{{ value|iso_utc }}``: datetimes, dates and epoch milliseconds as UTC ISO 8601.

A builtin (settings.TEMPLATES), so every template has it without ``{% load %}``.
"""

from django import template

from core.times import iso_utc as _iso_utc

register = template.Library()


@register.filter
def iso_utc(value, missing: str = "—"):
    """``2021-01-05T12:00:00Z``; ``missing`` (default "—") for no value, anything unparsable as itself."""
    try:
        text = _iso_utc(value)
    except (TypeError, ValueError, OverflowError, OSError):
        return value
    return missing if text is None else text
