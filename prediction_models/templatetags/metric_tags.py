"""The backtest metrics as the pages show them, each row and column from ``MODEL_METRICS``.

``{% load metric_tags %}``, then ``{% metric_headings as headings %}`` (the tables' headings),
``model|metric_cells`` (a model row's cells: key, text, css, title) and
``sides|metric_rows`` (the model page's rows: one per metric of a period, a cell per period).
"""

from __future__ import annotations

from typing import Any

from django import template

from prediction_models.engine.metrics import (
    METRIC_BY_COLUMN,
    MODEL_METRICS,
    Metric,
    filter_keeps_every_config,
    formatted,
    search_filter_text,
)

register = template.Library()

# The metrics of one period (selection, holdout or forward test): read from the period's own record.
PERIOD_METRICS: tuple[Metric, ...] = tuple(m for m in MODEL_METRICS if m.section in ("backtest", "metrics"))


@register.simple_tag
def metric_headings() -> list[dict]:
    return [{"key": m.column, "label": m.heading} for m in MODEL_METRICS]


@register.filter
def metric_cells(model: Any) -> list[dict]:
    """The cells of one model row, one per metric, formatted as the table declares."""
    cells = []
    for metric in MODEL_METRICS:
        value = getattr(model, metric.column)
        cell = {
            "key": metric.column,
            "text": formatted(metric, value, positions=model.positions),
            "css": "",
            "title": "",
        }
        if metric.column == "ebe_points" and value is not None:
            cell["css"] = f"ebe ebe-{model.ebe_state}"
        if metric.key == "profit_factor" and value is None and model.positions:
            cell["title"] = "no losing position"
        cells.append(cell)
    return cells


@register.filter
def metric_rows(sides: list[dict]) -> list[dict]:
    """One row per period metric: its heading and, per side (``record``: the certificate part or
    the forward test's record holding ``backtest`` and ``metrics``), the formatted value."""
    rows = []
    for metric in PERIOD_METRICS:
        cells = []
        for side in sides:
            record = side["record"]
            positions = len((record.get("backtest") or {}).get("positions") or ())
            cells.append(formatted(metric, metric.read(record), positions=positions))
        rows.append({"key": metric.column, "label": metric.heading, "cells": cells})
    return rows


@register.filter
def metric_heading(column: str) -> str:
    """``{{ "profit"|metric_heading }}``: the heading of the metric kept in that column."""
    return METRIC_BY_COLUMN[column].heading


@register.filter
def metric_value(value: Any, column: str) -> str:
    """``{{ row.profit|metric_value:"profit" }}``: a value formatted as the metric of that column is."""
    return formatted(METRIC_BY_COLUMN[column], value)


@register.filter
def search_filter(settings: Any) -> str:
    """``{{ search|search_filter }}``: the bounds of a search's (or an epoch's) filter, as text."""
    return search_filter_text(settings)


@register.filter
def keeps_every_config(search: Any) -> bool:
    """``{% if search|keeps_every_config %}``: the search's filter rejects no config."""
    return filter_keeps_every_config(search, search.epoch.position_size)


@register.filter
def period_metrics(record: dict) -> list[dict]:
    """``{% for m in period|period_metrics %}``: one period's metrics (key, slug, label, text)
    from its record (``backtest`` and ``metrics``)."""
    return [
        {"key": row["key"], "slug": row["key"].replace("_", "-"), "label": row["label"], "text": row["cells"][0]}
        for row in metric_rows([{"record": record}])
    ]


def _forward_test_columns() -> tuple[str, ...]:
    """The metrics a forward test's row keeps: those whose column is one of its fields."""
    from prediction_models.models import ForwardTest

    fields = {field.name for field in ForwardTest._meta.get_fields()}
    return tuple(m.column for m in MODEL_METRICS if m.column in fields)


@register.simple_tag
def forward_test_columns() -> tuple[str, ...]:
    return _forward_test_columns()


@register.filter
def forward_test_cells(forward_test: Any) -> list[dict]:
    """A forward test row's metric cells (empty while it runs), formatted as the table declares."""
    return [
        {"key": column, "text": "" if (value := getattr(forward_test, column)) is None else metric_value(value, column)}
        for column in _forward_test_columns()
    ]
