from django.contrib import admin, messages
from django.utils.html import format_html

from cluster.admin import ServerAdmin, pull_action
from core.admin_actions import enqueue_each
from core.admin_numbers import RoundedFloatsAdmin
from core.errors import ApplicationError
from prediction_models.models import ConfigChunk, ForwardTest, PredictionModel, PredictionModelSearch, ProfitableConfig
from prediction_models.services.build import models_build_enqueue
from prediction_models.services.search import assets_export_json, search_find_enqueue, search_initialize
from regressions.admin import RegressionSelectionAdmin

BUILD_LIMIT = 10


def initialize_prediction_models_action(modeladmin, request, queryset):
    enqueue_each(
        modeladmin,
        request,
        queryset,
        lambda s: search_initialize(selection=s, user=request.user)[1],
        "initialising prediction models",
    )


initialize_prediction_models_action.short_description = "Initialise prediction models from the selected selections"


@admin.register(PredictionModelSearch)
class PredictionModelSearchAdmin(RoundedFloatsAdmin):
    list_display = [
        "__str__",
        "epoch",
        "selection",
        "status",
        "total_configs",
        "configs_evaluated",
        "profitable_found",
        "page",
    ]
    list_filter = ["epoch", "status"]
    readonly_fields = [f.name for f in PredictionModelSearch._meta.fields]
    actions = ["find", "build", "export_json"]

    def has_add_permission(self, request):
        return False

    @admin.display(description="page")
    def page(self, search):
        return format_html('<a href="/prediction-models/searches/{}/">open</a>', search.pk)

    @admin.action(description="Find profitable configs")
    def find(self, request, queryset):
        enqueue_each(self, request, queryset, lambda s: search_find_enqueue(search=s, user=request.user), "searching")

    @admin.action(description=f"Build the best {BUILD_LIMIT} prediction models")
    def build(self, request, queryset):
        enqueue_each(
            self,
            request,
            queryset,
            lambda s: models_build_enqueue(search=s, limit=BUILD_LIMIT, user=request.user),
            "building",
        )

    @admin.action(description="Export the assets as the original's JSON files")
    def export_json(self, request, queryset):
        for search in queryset:
            try:
                files = assets_export_json(search=search)
                self.message_user(request, f"{search}: wrote {', '.join(files)}")
            except ApplicationError as exc:
                self.message_user(request, f"{search}: {exc.message}", messages.ERROR)


@admin.register(ConfigChunk)
class ConfigChunkAdmin(RoundedFloatsAdmin):
    list_display = ["search", "index", "start", "stop", "done", "profitable", "seconds", "finished"]
    list_filter = ["search", "done"]
    readonly_fields = [f.name for f in ConfigChunk._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(ProfitableConfig)
class ProfitableConfigAdmin(RoundedFloatsAdmin):
    list_display = [
        "search",
        "config_index",
        "profit",
        "accuracy",
        "positions",
        "largest_drawdown",
        "min_sum_function",
        "min_sum_adjustment_factor",
    ]
    list_filter = ["search", "min_sum_function"]
    readonly_fields = [f.name for f in ProfitableConfig._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(PredictionModel)
class PredictionModelAdmin(RoundedFloatsAdmin):
    list_display = [
        "id",
        "search",
        "rank",
        "profit",
        "accuracy",
        "largest_drawdown",
        "holdout_profit",
        "sharpe",
        "page",
    ]
    list_filter = ["search"]
    search_fields = ["id"]
    readonly_fields = [f.name for f in PredictionModel._meta.fields]

    def has_add_permission(self, request):
        return False

    @admin.display(description="page")
    def page(self, model):
        return format_html('<a href="/prediction-models/models/{}/">open</a>', model.id)


# The selection admin (regressions app) offers the action that starts a search.
RegressionSelectionAdmin.offer_action(initialize_prediction_models_action)
ServerAdmin.offer_action(pull_action("profitable_configs", "Pull profitable configs of the epoch given above"))


@admin.register(ForwardTest)
class ForwardTestAdmin(RoundedFloatsAdmin):
    """Forward tests are started from the model page, the API or ``manage.py forward_test``."""

    list_display = ["__str__", "status", "start", "end", "decisions", "refused_rows", "positions", "profit"]
    list_filter = ["status"]
    readonly_fields = [f.name for f in ForwardTest._meta.fields]

    def has_add_permission(self, request):
        return False
