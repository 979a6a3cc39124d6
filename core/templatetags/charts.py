"""``{% plotly figure "dom-id" %}``: a plotly chart from a figure dict, drawn by our own plotly.js."""

import json
from datetime import UTC, datetime

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from core.files import human_size
from core.times import iso_utc

register = template.Library()

_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


@register.simple_tag
def plotly(figure: dict, dom_id: str, height: int | None = None):
    if not figure:
        return ""
    payload = mark_safe(json.dumps(figure, separators=(",", ":")).translate(_ESCAPES))
    style = f"min-height:{int(height)}px" if height else ""
    return format_html(
        '<div class="chart" id="{0}" style="{1}" data-chart></div>'
        '<script type="application/json" id="{0}-figure">{2}</script>'
        "<script>(function(){{var f=JSON.parse(document.getElementById('{0}-figure').textContent);"
        "Plotly.newPlot('{0}', f.data, f.layout, {{responsive: true, displaylogo: false}});}})();</script>",
        dom_id,
        style,
        payload,
    )


@register.filter
def ms_date(value, fmt: str | None = None):
    """Epoch milliseconds (as stored for candles and epochs) as UTC ISO 8601 (``iso_utc``),
    or in ``fmt`` (strftime) when given."""
    if value in (None, ""):
        return "—"
    if fmt is None:
        return iso_utc(value)
    return datetime.fromtimestamp(int(value) / 1000, tz=UTC).strftime(fmt)


@register.filter
def size(value):
    """Bytes as ``180.4 KiB`` / ``3.2 MiB`` (binary units, as everywhere on the pages)."""
    return human_size(value) if value not in ("", None) else "—"


@register.filter
def join_if_list(value, separator: str = ", "):
    """A list as ``a, b``; anything else as itself."""
    return separator.join(str(v) for v in value) if isinstance(value, (list, tuple)) else value
