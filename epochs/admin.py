from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils.html import format_html

from core.admin_actions import OfferedActionsAdmin
from core.admin_numbers import RoundedFloatsAdmin
from core.errors import ApplicationError
from core.times import iso_utc
from epochs.forms import EpochAdminForm
from epochs.models import CandlestickSet, Epoch
from epochs.services.candles import candle_set_refresh
from epochs.services.epochs import ENGINE_FIELDS, SETTINGS_FIELDS, epoch_create, epoch_delete


@admin.register(CandlestickSet)
class CandlestickSetAdmin(RoundedFloatsAdmin):
    millisecond_fields = ("first_open_time", "last_close_time")
    list_display = ["name", "symbol", "candles", "months", "gap_count", "gap_minutes", "flagged_candles", "last_import"]
    readonly_fields = [f.name for f in CandlestickSet._meta.fields if f.name not in ("name", "symbol")]
    actions = ["refresh_summary"]

    @admin.action(description="Re-read the summary from the store on disk")
    def refresh_summary(self, request, queryset):
        for candle_set in queryset:
            candle_set_refresh(candle_set=candle_set)
        self.message_user(request, "Summaries refreshed.")


@admin.register(Epoch)
class EpochAdmin(RoundedFloatsAdmin, OfferedActionsAdmin):
    form = EpochAdminForm
    millisecond_fields = ("start", "end", "test_ds_start", "test_ds_end", "data_end")
    list_display = [
        "id",
        "status",
        "preset",
        "epoch_width",
        "prediction_interval",
        "start_date",
        "end_date",
        "page",
        "created",
    ]
    list_filter = ["status", "preset", "prediction_interval"]
    search_fields = ["id"]
    readonly_fields = [
        "status",
        "start",
        "end",
        "test_ds_start",
        "test_ds_end",
        "highest_price_sma",
        "lowest_price_sma",
        "prediction_rows",
        "data_fingerprint",
        "gaps",
        "disk_bytes",
        "error",
        "created_by",
        "created",
    ]
    # The regressions and pipeline apps offer theirs (generate configs, export): offer_action.
    actions = ["delete_with_files"]

    def readonly_field_names(self, request, obj=None):
        if obj is None:
            return self.readonly_fields
        if obj.is_frozen:  # exported: every setting stays as Epoca has it until the export is withdrawn
            return [field.name for field in Epoch._meta.fields]
        # The data window is fixed once built; later-stage settings stay editable.
        return [
            *self.readonly_fields,
            "id",
            "candlestick_set",
            "preset",
            "data_end",
            "purge",
            *ENGINE_FIELDS,
            "prediction_interval",
        ]

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not (obj is not None and obj.is_frozen)

    def save_model(self, request, obj, form, change):
        if change:
            if Epoch.objects.filter(pk=obj.pk, status="exported").exists():
                raise PermissionDenied("The epoch is exported: withdraw its export first.")
            return super().save_model(request, obj, form, change)
        values = {k: v for k, v in form.cleaned_data.items() if k in ENGINE_FIELDS or k in SETTINGS_FIELDS or k == "id"}
        epoch, job = epoch_create(candlestick_set=form.cleaned_data["candlestick_set"], user=request.user, **values)
        obj.pk = epoch.pk
        self.message_user(request, format_html('Creating the epoch: <a href="/jobs/{}/">job #{}</a>.', job.pk, job.pk))

    @admin.display(description="start")
    def start_date(self, epoch):
        return _date(epoch.start)

    @admin.display(description="end")
    def end_date(self, epoch):
        return _date(epoch.end)

    @admin.display(description="page")
    def page(self, epoch):
        return format_html('<a href="{}">open</a>', reverse("epoch-detail", args=[epoch.pk]))

    @admin.action(description="Delete the selected epochs with their files")
    def delete_with_files(self, request, queryset):
        for epoch in queryset:
            try:
                epoch_delete(epoch=epoch)
            except ApplicationError as exc:
                self.message_user(request, exc.message, messages.ERROR)


def _date(ms):
    return iso_utc(ms) or "—"
