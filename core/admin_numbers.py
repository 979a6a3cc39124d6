"""The admin shows floats rounded (``1720.83``, not ``1720.8300000000017``), and times kept in
epoch milliseconds with their ISO 8601, in its lists and read-only fields; the edit forms keep
every digit of the fields they edit."""

from __future__ import annotations

from django.contrib import admin
from django.db import models

from core.numbers import readable
from core.times import iso_utc


def _rounded_name(name: str) -> str:
    return f"{name}_rounded"


def _rounded_display(field: models.FloatField):
    @admin.display(description=field.verbose_name, ordering=field.name)
    def show(obj):
        return readable(getattr(obj, field.name))

    return show


def _ms_display(field: models.Field):
    @admin.display(description=field.verbose_name, ordering=field.name)
    def show(obj):
        ms = getattr(obj, field.name)
        return None if ms is None else f"{ms} ({iso_utc(ms)})"

    return show


class RoundedFloatsAdmin(admin.ModelAdmin):
    """Every float field of the model shown in ``list_display`` or ``readonly_fields`` is rounded.

    Read-only fields named in ``millisecond_fields`` (epoch milliseconds, the contract's unit)
    show their ISO 8601 beside them. An admin choosing its read-only fields per object overrides
    ``readonly_field_names``.
    """

    millisecond_fields: tuple[str, ...] = ()

    def __init__(self, model, admin_site) -> None:
        super().__init__(model, admin_site)
        floats = {f.name for f in model._meta.fields if isinstance(f, models.FloatField)}
        self._replaced = floats | set(self.millisecond_fields)
        for field in model._meta.fields:
            if field.name in self.millisecond_fields:
                setattr(self, _rounded_name(field.name), _ms_display(field))
            elif field.name in floats:
                setattr(self, _rounded_name(field.name), _rounded_display(field))

    def _rounded(self, name):
        return _rounded_name(name) if isinstance(name, str) and name in self._replaced else name

    def get_list_display(self, request):
        return [self._rounded(name) for name in super().get_list_display(request)]

    def readonly_field_names(self, request, obj=None):
        return super().get_readonly_fields(request, obj)

    def get_readonly_fields(self, request, obj=None):
        return [self._rounded(name) for name in self.readonly_field_names(request, obj)]

    def get_exclude(self, request, obj=None):
        # A float shown rounded is read-only: the form must not offer it as well.
        shown = [name for name in self.readonly_field_names(request, obj) if name in self._replaced]
        excluded = super().get_exclude(request, obj)
        return [*(excluded or ()), *shown] if shown else excluded
