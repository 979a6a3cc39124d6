from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils.html import format_html

from core.errors import ApplicationError
from django import forms
from django.shortcuts import render

from epochs.models import CandlestickSet, Epoch, EpochExport
from epochs.services.candles import candle_set_refresh
from epochs.services.epochs import ENGINE_FIELDS, SETTINGS_FIELDS, epoch_create, epoch_delete
from epochs.services.export import epoch_export_enqueue, epoch_file_verify


@admin.register(CandlestickSet)
class CandlestickSetAdmin(admin.ModelAdmin):
    list_display = ["name", "symbol", "candles", "months", "gap_count", "gap_minutes", "flagged_candles", "last_import"]
    readonly_fields = [f.name for f in CandlestickSet._meta.fields if f.name not in ("name", "symbol")]
    actions = ["refresh_summary"]

    @admin.action(description="Re-read the summary from the store on disk")
    def refresh_summary(self, request, queryset):
        for candle_set in queryset:
            candle_set_refresh(candle_set=candle_set)
        self.message_user(request, "Summaries refreshed.")


@admin.register(Epoch)
class EpochAdmin(admin.ModelAdmin):
    list_display = ["id", "status", "preset", "epoch_width", "prediction_interval", "start_date", "end_date", "page", "created"]
    list_filter = ["status", "preset", "prediction_interval"]
    search_fields = ["id"]
    readonly_fields = [
        "status", "start", "end", "test_ds_start", "test_ds_end", "highest_price_sma", "lowest_price_sma",
        "prediction_rows", "data_fingerprint", "gaps", "error", "created_by", "created",
    ]
    actions = ["delete_with_files", "generate_configs", "export_epoch"]

    @admin.action(description="Export the Epoch File for a built prediction model")
    def export_epoch(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one epoch to export.", messages.ERROR)
            return None
        epoch = queryset.get()
        form = ExportForm(request.POST if "prediction_model_id" in request.POST else None)
        if not form.is_valid():
            return render(request, "admin/epochs/export_epoch.html",
                          {**self.admin_site.each_context(request), "epoch": epoch, "form": form, "opts": self.model._meta,
                           "action": "export_epoch"})
        try:
            job = epoch_export_enqueue(epoch=epoch, user=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return None
        self.message_user(request, format_html('Exporting {}: <a href="/jobs/{}/">job #{}</a>.', epoch.id, job.pk, job.pk))
        return None

    @admin.action(description="Generate regression training configs")
    def generate_configs(self, request, queryset):
        from regressions.admin import generate_configs_action

        generate_configs_action(self, request, queryset)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return self.readonly_fields
        if obj.is_frozen:  # exported: every setting stays as Epoca has it until the export is withdrawn
            return [field.name for field in Epoch._meta.fields]
        # The data window is fixed once built; later-stage settings stay editable.
        return [*self.readonly_fields, "id", "candlestick_set", "preset", "data_end", "purge", *ENGINE_FIELDS, "prediction_interval"]

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


class ExportForm(forms.Form):
    prediction_model_id = forms.CharField(min_length=30, max_length=200)
    confirm_interval = forms.BooleanField(required=False, help_text="Export although the prediction candles are not 15 minutes (what Epoca feeds).")
    reexport = forms.BooleanField(required=False, help_text="The earlier Epoch File of this epoch was never installed: export its ids again.")


@admin.register(EpochExport)
class EpochExportAdmin(admin.ModelAdmin):
    list_display = ["epoch", "prediction_model_id", "size", "verified", "created", "download"]
    list_filter = ["verified"]
    search_fields = ["epoch__id", "prediction_model_id"]
    readonly_fields = [f.name for f in EpochExport._meta.fields]
    actions = ["verify_again"]

    def has_add_permission(self, request):
        return False

    @admin.display(description="file")
    def download(self, export):
        return format_html('<a href="{}">{}</a>', reverse("epoch-download", args=[export.epoch_id]), export.file_name)

    @admin.action(description="Verify the selected Epoch Files again (loads their models)")
    def verify_again(self, request, queryset):
        for export in queryset.select_related("epoch"):
            report = epoch_file_verify(export=export)
            level = messages.SUCCESS if report["ok"] else messages.ERROR
            self.message_user(request, f"{export.file_name}: " + ("verified" if report["ok"] else "; ".join(report["problems"][:5])), level)


def _date(ms):
    if ms is None:
        return "—"
    from datetime import datetime, timezone

    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime("%Y-%m-%d %H:%M")
