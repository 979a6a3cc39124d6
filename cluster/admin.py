from django.contrib import admin, messages
from django.utils.html import format_html

from cluster.choices import ACTIVE_STATUSES, JobStatus
from cluster.models import Job, Server, ServerAction
from cluster.services.jobs import job_cancel, job_retry
from epoca_builder.errors import ApplicationError


class ChildInline(admin.TabularInline):
    model = Job
    fk_name = "parent"
    fields = ["kind", "status", "target_label", "progress_done", "progress_total", "attempts", "error"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "status", "target_label", "where", "progress", "attempts", "created_by", "created", "finished"]
    list_filter = ["status", "kind", "server", "created"]
    search_fields = ["kind", "target_label", "error", "=id"]
    date_hierarchy = "created"
    readonly_fields = [f.name for f in Job._meta.fields]
    inlines = [ChildInline]
    actions = ["cancel_jobs", "retry_jobs"]

    @admin.display(description="progress")
    def progress(self, job: Job):
        return format_html('<a href="/jobs/{}/">{}%</a> {}', job.pk, job.percent, job.progress_message[:60])

    def has_add_permission(self, request):
        return False

    @admin.action(description="Cancel selected jobs")
    def cancel_jobs(self, request, queryset):
        for job in queryset.filter(status__in=ACTIVE_STATUSES):
            job_cancel(job=job, user=request.user)
        self.message_user(request, "Cancel requested.")

    @admin.action(description="Retry selected failed or cancelled jobs")
    def retry_jobs(self, request, queryset):
        for job in queryset.filter(status__in=(JobStatus.FAILED, JobStatus.CANCELLED)):
            try:
                job_retry(job=job, user=request.user)
            except ApplicationError as exc:
                self.message_user(request, exc.message, messages.WARNING)


class ServerActionInline(admin.TabularInline):
    model = ServerAction
    fields = ["created", "action", "user", "ok", "output"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Server)
class ServerAdmin(admin.ModelAdmin):
    list_display = ["name", "host", "port", "user", "remote_root", "is_cluster_worker", "max_jobs", "last_seen"]
    list_filter = ["is_cluster_worker"]
    search_fields = ["name", "host"]
    readonly_fields = ["host_key_fingerprint", "host_key_confirmed_by", "host_key_confirmed_at", "last_status", "last_seen"]
    inlines = [ServerActionInline]
