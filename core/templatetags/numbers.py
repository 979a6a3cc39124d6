"""``{{ value|readable }}``: a float rounded for reading (``1720.83``); anything else as itself.

A builtin (settings.TEMPLATES), so every template has it without ``{% load %}``.
"""

from django import template

from core.numbers import readable as _readable

register = template.Library()


@register.filter
def readable(value, digits: int = 2):
    return _readable(value, int(digits)) if isinstance(value, float) else value
