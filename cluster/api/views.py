from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from cluster import selectors
from cluster.api.serializers import (
    ConnectionDetailsSerializer,
    HostKeyConfirmSerializer,
    InstallKeySerializer,
    JobBriefSerializer,
    JobSerializer,
    KillSerializer,
    LogChunkSerializer,
    LogQuerySerializer,
    PullSerializer,
    PushSerializer,
    SelfCheckInputSerializer,
    ServerActionSerializer,
    ServerCheckSerializer,
    ServerLiveSerializer,
    ServerPowerResultSerializer,
    ServerSerializer,
    ServerStatusSerializer,
)
from cluster.filters import JobFilterSet, ServerFilterSet
from cluster.services import servers
from cluster.services.jobs import job_cancel, job_enqueue, job_retry


class JobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Every long action. Lists are brief (use ``?full=1`` for logs and results)."""

    filterset_class = JobFilterSet
    ordering_fields = ["created", "started", "finished", "status", "kind"]

    def get_queryset(self):
        return selectors.job_list_with_children()

    def get_serializer_class(self):
        if self.action == "list" and not self.request.query_params.get("full"):
            return JobBriefSerializer
        return JobSerializer

    @extend_schema(request=None, responses=JobSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return Response(JobSerializer(job_cancel(job=self.get_object(), user=request.user)).data)

    @extend_schema(request=None, responses=JobSerializer)
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        return Response(JobSerializer(job_retry(job=self.get_object(), user=request.user)).data)

    @extend_schema(request=SelfCheckInputSerializer, responses={202: JobSerializer})
    @action(detail=False, methods=["post"])
    def selfcheck(self, request):
        data = SelfCheckInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        job = job_enqueue(kind="cluster.selfcheck", params=data.validated_data, user=request.user)
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class ServerViewSet(viewsets.ModelViewSet):
    """Cluster servers and their actions. Edits, trust, power, kill and key actions need an administrator."""

    serializer_class = ServerSerializer
    filterset_class = ServerFilterSet
    ordering_fields = ["name", "host", "created", "last_seen"]

    def get_queryset(self):
        return selectors.server_list()

    def _action_row(self, row) -> Response:
        return Response(ServerActionSerializer(row).data)

    @extend_schema(responses=ServerLiveSerializer(many=True))
    @action(detail=False, methods=["get"], pagination_class=None, filterset_class=None)
    def live(self, request):
        """Stored status of every server (no SSH): what the servers page paints between checks."""
        return Response(ServerLiveSerializer(selectors.server_live_list(), many=True).data)

    @extend_schema(
        methods=["GET"], responses=ServerStatusSerializer, description="Status, checked over SSH when older than 10 s."
    )
    @extend_schema(
        methods=["POST"], request=None, responses=ServerStatusSerializer, description="Check now and record it."
    )
    @action(detail=True, methods=["get", "post"])
    def status(self, request, pk=None):
        server = self.get_object()
        if request.method == "POST":
            return Response(servers.server_status_refresh(server=server, user=request.user, record=True))
        return Response(servers.server_status_cached(server=server))

    @extend_schema(responses=ConnectionDetailsSerializer)
    @action(detail=True, methods=["get"])
    def connection(self, request, pk=None):
        return Response(servers.server_connection_details(server=self.get_object()))

    @extend_schema(parameters=[LogQuerySerializer], responses=LogChunkSerializer)
    @action(detail=True, methods=["get"])
    def log(self, request, pk=None):
        """The job's remote log from byte ``offset``; poll with ``next_offset``."""
        query = LogQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        job_id = query.validated_data.get("job")
        job = get_object_or_404(selectors.job_list(), pk=job_id) if job_id else None
        return Response(
            servers.server_log_chunk(server=self.get_object(), offset=query.validated_data["offset"], job=job)
        )

    @extend_schema(responses=ServerActionSerializer(many=True))
    @action(detail=True, methods=["get"], url_path="actions", pagination_class=None, filterset_class=None)
    def history(self, request, pk=None):
        return Response(ServerActionSerializer(selectors.server_actions(self.get_object())[:100], many=True).data)

    @extend_schema(request=None, responses=ServerSerializer)
    @action(detail=True, methods=["post"], url_path="fetch-host-key")
    def fetch_host_key(self, request, pk=None):
        server = self.get_object()
        servers.server_host_key_fetch(server=server, user=request.user)
        return Response(ServerSerializer(server).data)

    @extend_schema(request=HostKeyConfirmSerializer, responses=ServerSerializer)
    @action(detail=True, methods=["post"], url_path="confirm-host-key")
    def confirm_host_key(self, request, pk=None):
        data = HostKeyConfirmSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        server = servers.server_host_key_confirm(server=self.get_object(), user=request.user, **data.validated_data)
        return Response(ServerSerializer(server).data)

    @extend_schema(request=None, responses=ServerActionSerializer)
    @action(detail=True, methods=["post"])
    def reboot(self, request, pk=None):
        return self._action_row(servers.server_power(server=self.get_object(), action="reboot", user=request.user))

    @extend_schema(request=None, responses=ServerActionSerializer)
    @action(detail=True, methods=["post"])
    def shutdown(self, request, pk=None):
        return self._action_row(servers.server_power(server=self.get_object(), action="shutdown", user=request.user))

    @extend_schema(request=None, responses=ServerPowerResultSerializer(many=True))
    @action(detail=False, methods=["post"], url_path="reboot-all", pagination_class=None, filterset_class=None)
    def reboot_all(self, request):
        return Response(servers.servers_power_all(action="reboot", user=request.user))

    @extend_schema(request=None, responses=ServerPowerResultSerializer(many=True))
    @action(detail=False, methods=["post"], url_path="shutdown-all", pagination_class=None, filterset_class=None)
    def shutdown_all(self, request):
        return Response(servers.servers_power_all(action="shutdown", user=request.user))

    @extend_schema(request=KillSerializer, responses=ServerActionSerializer)
    @action(detail=True, methods=["post"])
    def kill(self, request, pk=None):
        data = KillSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        job_id = data.validated_data.get("job")
        job = get_object_or_404(selectors.job_list(), pk=job_id) if job_id else None
        return self._action_row(servers.server_kill_job(server=self.get_object(), user=request.user, job=job))

    @extend_schema(request=InstallKeySerializer, responses=ServerActionSerializer)
    @action(detail=True, methods=["post"], url_path="install-key")
    def install_key(self, request, pk=None):
        data = InstallKeySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._action_row(
            servers.server_install_key(server=self.get_object(), user=request.user, **data.validated_data)
        )

    @extend_schema(request=ServerCheckSerializer, responses={202: JobSerializer})
    @action(detail=True, methods=["post"])
    def selfcheck(self, request, pk=None):
        """Run a check job on the server (default: the worker self-check in a remote process)."""
        data = ServerCheckSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        job = servers.server_check_run(server=self.get_object(), user=request.user, **data.validated_data)
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=PushSerializer, responses={202: JobSerializer})
    @action(detail=True, methods=["post"])
    def push(self, request, pk=None):
        data = PushSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        job = servers.server_push_enqueue(
            server=self.get_object(), what=values["what"], epoch_id=values["epoch"] or None, user=request.user
        )
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=PullSerializer, responses={202: JobSerializer})
    @action(detail=True, methods=["post"])
    def pull(self, request, pk=None):
        data = PullSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        job = servers.server_pull_enqueue(
            server=self.get_object(),
            what=values["what"],
            epoch_id=values["epoch"],
            delete_remote=values["delete_remote"],
            user=request.user,
        )
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)
