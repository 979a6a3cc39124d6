from django.contrib import admin
from django.utils.html import format_html

from cluster.admin import ServerAdmin, pull_action
from core.admin_actions import OfferedActionsAdmin, enqueue_each
from core.admin_numbers import RoundedFloatsAdmin
from epochs.admin import EpochAdmin
from regressions.models import Regression, RegressionConfig, RegressionSelection, TrainingBatch
from regressions.services.grid import configs_generate_enqueue
from regressions.services.training import batch_train_enqueue, regression_train_enqueue


@admin.register(TrainingBatch)
class TrainingBatchAdmin(admin.ModelAdmin):
    list_display = ["name", "epoch", "category", "number", "total", "profile", "page"]
    list_filter = ["epoch", "category", "profile"]
    search_fields = ["name"]
    readonly_fields = [f.name for f in TrainingBatch._meta.fields]
    actions = ["train"]

    def has_add_permission(self, request):
        return False

    @admin.display(description="page")
    def page(self, batch):
        return format_html('<a href="/regressions/batches/{}/">compare</a>', batch.pk)

    @admin.action(description="Train the selected batches")
    def train(self, request, queryset):
        enqueue_each(self, request, queryset, lambda b: batch_train_enqueue(batch=b, user=request.user), "training")


@admin.register(RegressionConfig)
class RegressionConfigAdmin(RoundedFloatsAdmin):
    list_display = ["id", "epoch", "batch", "category", "template", "learning_rate", "loss"]
    list_filter = ["epoch", "category", "template", "loss"]
    search_fields = ["id"]
    readonly_fields = [f.name for f in RegressionConfig._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(Regression)
class RegressionAdmin(RoundedFloatsAdmin):
    list_display = [
        "config_id",
        "epoch",
        "status",
        "accuracy",
        "points",
        "test_loss",
        "increase_num",
        "decrease_num",
        "best_epoch",
        "page",
    ]
    list_filter = ["epoch", "status", "config__category"]
    search_fields = ["config__id"]
    list_select_related = ["config"]
    readonly_fields = [f.name for f in Regression._meta.fields]
    actions = ["retrain"]

    def has_add_permission(self, request):
        return False

    @admin.display(description="page")
    def page(self, regression):
        return format_html('<a href="/regressions/r/{}/">open</a>', regression.config_id)

    @admin.action(description="Retrain the selected regressions")
    def retrain(self, request, queryset):
        enqueue_each(
            self,
            request,
            queryset,
            lambda r: regression_train_enqueue(regression=r, user=request.user, retrain=True),
            "retraining",
        )


@admin.register(RegressionSelection)
class RegressionSelectionAdmin(OfferedActionsAdmin):
    list_display = ["name", "epoch", "mode", "size", "created_by", "created"]
    list_filter = ["epoch", "mode"]
    readonly_fields = [
        "epoch",
        "name",
        "mode",
        "criteria",
        "size",
        "ranking",
        "regression_ids",
        "created_by",
        "created",
    ]

    def has_add_permission(self, request):
        return False


def generate_configs_action(modeladmin, request, queryset):
    enqueue_each(
        modeladmin,
        request,
        queryset,
        lambda e: configs_generate_enqueue(epoch=e, user=request.user),
        "generating configs",
    )


generate_configs_action.short_description = "Generate regression training configs"


@admin.action(description="Generate regression training configs")
def generate_configs(modeladmin, request, queryset):
    generate_configs_action(modeladmin, request, queryset)


EpochAdmin.offer_action(generate_configs)


ServerAdmin.offer_action(pull_action("trained_regressions", "Pull trained regressions of the epoch given above"))
