"""``{{ start|duration:end }}``: the time between two moments as ``55 s``, ``12 min 03 s``,
``2 h 05 min`` or ``3 d 04 h``; until now when ``end`` is empty."""

from datetime import datetime

from django import template
from django.utils import timezone

register = template.Library()


def duration_text(seconds: float) -> str:
    seconds = max(0, int(seconds))
    minutes, s = divmod(seconds, 60)
    hours, m = divmod(minutes, 60)
    days, h = divmod(hours, 24)
    if days:
        return f"{days} d {h:02d} h"
    if hours:
        return f"{hours} h {m:02d} min"
    if minutes:
        return f"{minutes} min {s:02d} s"
    return f"{s} s"


@register.filter
def duration(start: datetime | None, end: datetime | None = None) -> str:
    if start is None:
        return "—"
    return duration_text(((end or timezone.now()) - start).total_seconds())
