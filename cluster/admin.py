from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.utils.html import format_html

from cluster.choices import ACTIVE_STATUSES, JobStatus
from cluster.models import Job, Server, ServerAction
from cluster.services import servers
from cluster.services.jobs import job_cancel, job_retry
from core.admin_actions import OfferedActionsAdmin
from core.errors import ApplicationError


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
    list_display = [
        "id",
        "kind",
        "status",
        "target_label",
        "where",
        "progress",
        "attempts",
        "created_by",
        "created",
        "finished",
    ]
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


class ServerActionForm(ActionForm):
    """Inputs some server actions need, shown beside the action menu."""

    key_path = forms.CharField(
        required=False, max_length=1024, label="Key path (install key)", widget=forms.TextInput(attrs={"size": 30})
    )
    epoch = forms.CharField(
        required=False, max_length=100, label="Epoch (push/pull)", widget=forms.TextInput(attrs={"size": 14})
    )


def server_action(description: str):
    """An admin action that runs ``fn(request, server)`` per selected server and reports each outcome."""

    def decorate(fn):
        def run(modeladmin, request, queryset):
            for server in queryset:
                try:
                    message = fn(modeladmin, request, server)
                except ApplicationError as exc:
                    modeladmin.message_user(request, f"{server.name}: {exc.message}", messages.ERROR)
                else:
                    modeladmin.message_user(request, f"{server.name}: {message}", messages.SUCCESS)

        run.__name__ = fn.__name__
        return admin.action(description=description)(run)

    return decorate


def pull_action(target: str, description: str):
    """An action that pulls ``target`` (a pull target its app registered) of the epoch given above."""

    def pull(modeladmin, request, server):
        job = servers.server_pull_enqueue(
            server=server, what=[target], epoch_id=request.POST.get("epoch", "").strip(), user=request.user
        )
        return f"queued job #{job.pk}"

    pull.__name__ = f"pull_{target}"
    return server_action(description)(pull)


@admin.register(Server)
class ServerAdmin(OfferedActionsAdmin):
    list_display = [
        "name",
        "host",
        "port",
        "user",
        "remote_root",
        "is_cluster_worker",
        "max_jobs",
        "host_key",
        "online",
        "last_seen",
    ]
    list_filter = ["is_cluster_worker"]
    search_fields = ["name", "host"]
    readonly_fields = [
        "host_key_presented",
        "host_key_fingerprint",
        "host_key_confirmed_by",
        "host_key_confirmed_at",
        "last_status",
        "last_seen",
    ]
    inlines = [ServerActionInline]
    action_form = ServerActionForm
    actions = [
        "fetch_host_key",
        "confirm_host_key",
        "check_status",
        "run_selfcheck",
        "push_code",
        "push_everything",
        "kill_jobs",
        "install_key",
        "reboot",
        "shutdown",
    ]  # the apps that own pull targets offer their pull actions (pull_action)

    @admin.display(description="host key")
    def host_key(self, server: Server) -> str:
        if server.host_key_confirmed:
            return f"confirmed {server.host_key_fingerprint}"
        return f"presented {server.host_key_presented} (not confirmed)" if server.host_key_presented else "not fetched"

    @admin.display(boolean=True)
    def online(self, server: Server):
        return server.last_status.get("online") if server.last_status else None

    @server_action("Fetch the host key (compare it with the server's before confirming)")
    def fetch_host_key(self, request, server):
        return f"presents {servers.server_host_key_fetch(server=server, user=request.user)}"

    @server_action("Confirm the presented host key")
    def confirm_host_key(self, request, server):
        confirmed = servers.server_host_key_confirm(
            server=server, fingerprint=server.host_key_presented, user=request.user
        )
        return f"trusted {confirmed.host_key_fingerprint}"

    @server_action("Check status now")
    def check_status(self, request, server):
        status = servers.server_status_refresh(server=server, user=request.user, record=True)
        return servers.status_summary(status)

    @server_action("Run the self-check on the server")
    def run_selfcheck(self, request, server):
        return f"queued job #{servers.server_check_run(server=server, user=request.user).pk}"

    @server_action("Push code")
    def push_code(self, request, server):
        return f"queued job #{servers.server_push_enqueue(server=server, what=['code'], user=request.user).pk}"

    @server_action("Push everything of the epoch given above")
    def push_everything(self, request, server):
        epoch = request.POST.get("epoch", "").strip() or None
        return f"queued job #{servers.server_push_enqueue(server=server, what=['everything'], epoch_id=epoch, user=request.user).pk}"

    @server_action("Kill the jobs the server runs")
    def kill_jobs(self, request, server):
        return servers.server_kill_job(server=server, user=request.user).output

    @server_action("Install the app's SSH key (log in once with the key path given above)")
    def install_key(self, request, server):
        key_path = request.POST.get("key_path", "").strip()
        if not key_path:
            raise ApplicationError("Give the path of a key the server accepts now.")
        return servers.server_install_key(server=server, user=request.user, key_path=key_path).output

    @server_action("Reboot (sudo -n reboot)")
    def reboot(self, request, server):
        return servers.server_power(server=server, action="reboot", user=request.user).output

    @server_action("Shut down (sudo -n poweroff)")
    def shutdown(self, request, server):
        return servers.server_power(server=server, action="shutdown", user=request.user).output
