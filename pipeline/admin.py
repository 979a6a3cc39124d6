"""The pipeline's admin: the export action offered on epochs, and the Epoch Files written."""

from django import forms
from django.contrib import admin, messages
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import format_html

from core.errors import ApplicationError
from epochs.admin import EpochAdmin
from epochs.models import EpochExport
from pipeline.services.export import epoch_export_enqueue, epoch_file_verify


@admin.action(description="Export the Epoch File for a built prediction model")
def export_epoch(modeladmin, request, queryset):
    if queryset.count() != 1:
        modeladmin.message_user(request, "Select exactly one epoch to export.", messages.ERROR)
        return None
    epoch = queryset.get()
    form = ExportForm(request.POST if "prediction_model_id" in request.POST else None)
    if not form.is_valid():
        return render(
            request,
            "admin/epochs/export_epoch.html",
            {
                **modeladmin.admin_site.each_context(request),
                "epoch": epoch,
                "form": form,
                "opts": modeladmin.model._meta,
                "action": "export_epoch",
            },
        )
    try:
        job = epoch_export_enqueue(epoch=epoch, user=request.user, **form.cleaned_data)
    except ApplicationError as exc:
        modeladmin.message_user(request, exc.message, messages.ERROR)
        return None
    modeladmin.message_user(
        request, format_html('Exporting {}: <a href="/jobs/{}/">job #{}</a>.', epoch.id, job.pk, job.pk)
    )
    return None


EpochAdmin.offer_action(export_epoch)


class ExportForm(forms.Form):
    prediction_model_id = forms.CharField(min_length=30, max_length=200)
    confirm_interval = forms.BooleanField(
        required=False, help_text="Export although the prediction candles are not 15 minutes (what Epoca feeds)."
    )
    reexport = forms.BooleanField(
        required=False, help_text="The earlier Epoch File of this epoch was never installed: export its ids again."
    )


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
        return format_html(
            '<a href="{}">{}</a>', reverse("epoch-download-page", args=[export.epoch_id]), export.file_name
        )

    @admin.action(description="Verify the selected Epoch Files again (loads their models)")
    def verify_again(self, request, queryset):
        for export in queryset.select_related("epoch"):
            report = epoch_file_verify(export=export)
            level = messages.SUCCESS if report["ok"] else messages.ERROR
            self.message_user(
                request,
                f"{export.file_name}: " + ("verified" if report["ok"] else "; ".join(report["problems"][:5])),
                level,
            )
