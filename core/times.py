"""One time format for pages and the API's own fields: UTC ISO 8601, ``2021-01-05T12:00:00Z``.

Candles, epochs and certificates keep epoch milliseconds (the Epoca contract's unit); only
their display and the API's added ``*_iso`` fields use this.
"""

from __future__ import annotations

from datetime import UTC, date, datetime


def iso_utc(value: datetime | date | int | float | str | None) -> str | None:
    """A datetime (naive ones are taken as UTC), a date, or epoch milliseconds as UTC ISO 8601.

    ``None`` and ``""`` give ``None``; a date gives ``YYYY-MM-DD``.
    """
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = float(value)
    if isinstance(value, (int, float)):
        value = datetime.fromtimestamp(value / 1000, tz=UTC)
    if isinstance(value, datetime):
        moment = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    return value.isoformat()
