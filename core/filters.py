"""Strict query parameters: a value that does not parse, or an unknown ordering, is a 400.

DRF ignores an unknown ``ordering`` silently and django-filter reads ``1``/``0`` as booleans;
a client that misspells a field should hear about it instead of getting another order.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.db import models
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter


class StrictBooleanField(forms.Field):
    """``true`` or ``false`` (any case); empty means no filter; anything else is an error."""

    def to_python(self, value):
        if value in (None, ""):
            return None
        text = str(value).strip().lower()
        if text not in ("true", "false"):
            raise forms.ValidationError("Expected true or false.", code="invalid")
        return text == "true"

    def validate(self, value):
        pass


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class StrictFilterSet(django_filters.FilterSet):
    FILTER_DEFAULTS = {
        **django_filters.FilterSet.FILTER_DEFAULTS,
        models.BooleanField: {"filter_class": StrictBooleanFilter},
    }


class StrictFilterBackend(DjangoFilterBackend):
    """django-filter with :class:`StrictFilterSet` for the views that only list ``filterset_fields``."""

    filterset_base = StrictFilterSet


class StrictOrderingFilter(OrderingFilter):
    """Only the view's ``ordering_fields`` (each may take a leading ``-``); anything else is a 400."""

    def get_valid_fields(self, queryset, view, context=None):
        fields = getattr(view, "ordering_fields", None) or []
        return [(item, item) if isinstance(item, str) else item for item in fields]

    def remove_invalid_fields(self, queryset, fields, view, request):
        valid = [item[0] for item in self.get_valid_fields(queryset, view)]
        unknown = [term for term in fields if term.removeprefix("-") not in valid]
        if unknown:
            raise ValidationError(
                {
                    self.ordering_param: [
                        f"Unknown ordering {', '.join(map(repr, unknown))}; one or more of {', '.join(valid) or '(none)'}, "
                        "comma-separated, each optionally with a leading '-'."
                    ]
                }
            )
        return fields

    def get_schema_operation_parameters(self, view):
        fields = [item[0] for item in self.get_valid_fields(None, view)]
        if not fields:
            return []
        return [
            {
                "name": self.ordering_param,
                "required": False,
                "in": "query",
                "style": "form",
                "explode": False,
                "description": "Fields to order by, comma-separated; a leading '-' sorts descending.",
                "schema": {"type": "array", "items": {"type": "string", "enum": [*fields, *(f"-{f}" for f in fields)]}},
            }
        ]
