"""``{% data_table value %}``: a JSON value (a job's result or settings) as HTML a person reads.

A dict is a table of its keys, a list of dicts a table with a column per key, a list of plain
values ``a, b, c``; values nest. Floats are rounded, ``None`` is a dash: never a Python repr.
"""

from __future__ import annotations

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

LIST_SHOWN = 50  # plain values of a list shown before "and N more"
ROWS_SHOWN = 100  # rows of a list of dicts shown before "and N more"


def number(value: float) -> str:
    """``1720.83`` rather than ``1720.8300000000017``: four decimals at most."""
    if value != value or value in (float("inf"), float("-inf")):
        return str(value)
    if value and abs(value) < 1e-4:
        return f"{value:.3g}"
    return f"{value:,.4f}".rstrip("0").rstrip(".")


def _more(count: int) -> SafeString:
    return format_html(' <span class="muted">… and {} more</span>', f"{count:,}")


def render_value(value) -> SafeString:
    if value is None or value == "" or value == [] or value == {}:
        return mark_safe("—")
    if isinstance(value, bool):
        return mark_safe("yes" if value else "no")
    if isinstance(value, float):
        return format_html("{}", number(value))
    if isinstance(value, int):
        return format_html("{}", f"{value:,}" if abs(value) >= 10_000 else value)
    if isinstance(value, dict):
        rows = format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", ((k, render_value(v)) for k, v in value.items()))
        return format_html('<table class="table data-table"><tbody>{}</tbody></table>', rows)
    if isinstance(value, (list, tuple)):
        if all(isinstance(v, dict) for v in value):
            return _rows(list(value))
        shown = format_html_join(", ", "{}", ((render_value(v),) for v in value[:LIST_SHOWN]))
        return format_html("{}{}", shown, _more(len(value) - LIST_SHOWN) if len(value) > LIST_SHOWN else "")
    return format_html("{}", value)


def _rows(items: list[dict]) -> SafeString:
    columns = list(dict.fromkeys(key for item in items for key in item))
    head = format_html_join("", "<th>{}</th>", ((c,) for c in columns))
    body = format_html_join(
        "",
        "<tr>{}</tr>",
        (
            (format_html_join("", "<td>{}</td>", ((render_value(item.get(c)),) for c in columns)),)
            for item in items[:ROWS_SHOWN]
        ),
    )
    more = format_html("<p>{}</p>", _more(len(items) - ROWS_SHOWN)) if len(items) > ROWS_SHOWN else ""
    return format_html(
        '<table class="table data-table"><thead><tr>{}</tr></thead><tbody>{}</tbody></table>{}', head, body, more
    )


@register.simple_tag
def data_table(value) -> SafeString:
    return render_value(value)
