from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cluster.jobs import subjects
from cluster.models import Job, Server, ServerAction
from cluster.services.servers import pull_targets, push_targets
from core.fields import MAX_PATH_CHARS, BoundedDictField, object_id


class ResultLinkSerializer(serializers.Serializer):
    label = serializers.CharField()
    url = serializers.CharField()


class JobSerializer(serializers.ModelSerializer):
    percent = serializers.FloatField(read_only=True)
    where = serializers.CharField(read_only=True)
    target_type = serializers.CharField(source="target_type.model", default=None, read_only=True, allow_null=True)
    created_by = serializers.CharField(source="created_by.username", default=None, read_only=True, allow_null=True)
    children_count = serializers.IntegerField(
        source="children_total", read_only=True, default=None, allow_null=True, help_text="Child jobs, all of them."
    )
    children_done = serializers.IntegerField(
        read_only=True, default=None, allow_null=True, help_text="Child jobs that ended (succeeded, failed, cancelled)."
    )
    stage = serializers.CharField(read_only=True, help_text='"stage 4 / 9: Training"; empty without stages.')
    eta = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="When a running job should end at its pace so far (UTC)."
    )
    target_url = serializers.SerializerMethodField(help_text="The page of the job's target.")
    result_links = serializers.SerializerMethodField(help_text="Pages of what a succeeded job made.")

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_target_url(self, job: Job) -> str | None:
        return subjects.target_url(job)

    @extend_schema_field(ResultLinkSerializer(many=True))
    def get_result_links(self, job: Job) -> list[dict]:
        return subjects.result_links(job)

    class Meta:
        model = Job
        fields = [
            "id",
            "kind",
            "status",
            "params",
            "target_type",
            "target_id",
            "target_label",
            "target_url",
            "created_by",
            "server",
            "where",
            "parent",
            "attempts",
            "max_attempts",
            "cancel_requested",
            "waiting",
            "worker",
            "heartbeat_at",
            "progress_done",
            "progress_total",
            "progress_message",
            "percent",
            "stage",
            "stage_name",
            "stage_number",
            "stage_count",
            "eta",
            "log_tail",
            "result",
            "error",
            "traceback",
            "created",
            "started",
            "finished",
            "children_count",
            "children_done",
            "result_links",
            "permanent_failure",
            "queued_at",
            "message_holder",
        ]
        read_only_fields = fields


class JobBriefSerializer(JobSerializer):
    class Meta(JobSerializer.Meta):
        fields = [
            "id",
            "kind",
            "status",
            "target_label",
            "where",
            "parent",
            "attempts",
            "progress_done",
            "progress_total",
            "progress_message",
            "percent",
            "error",
            "created",
            "started",
            "finished",
            "children_count",
            "children_done",
            "max_attempts",
            "heartbeat_at",
            "target_type",
            "target_id",
            "target_url",
            "result_links",
            "stage",
            "stage_name",
            "stage_number",
            "stage_count",
            "eta",
            "permanent_failure",
        ]
        read_only_fields = fields


class SelfCheckInputSerializer(serializers.Serializer):
    steps = serializers.IntegerField(min_value=1, max_value=1000, default=5)
    step_seconds = serializers.FloatField(min_value=0.0, max_value=3600, default=1.0)
    child_process = serializers.BooleanField(default=False)


# A DNS name (letters, digits, '-', dot-separated) or an IPv4/IPv6 address.
HOST_PATTERN = r"^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$|^[0-9A-Fa-f:.]{2,45}$"


class ServerSerializer(serializers.ModelSerializer):
    host_key_confirmed = serializers.BooleanField(read_only=True)
    max_jobs = serializers.IntegerField(min_value=1, max_value=1000, required=False)
    host = serializers.RegexField(HOST_PATTERN, max_length=253, help_text="A host name or an IP address.")

    class Meta:
        model = Server
        fields = [
            "id",
            "name",
            "host",
            "port",
            "user",
            "key_path",
            "remote_root",
            "python",
            "is_cluster_worker",
            "max_jobs",
            "host_key_presented",
            "host_key_fingerprint",
            "host_key_confirmed",
            "host_key_confirmed_at",
            "last_status",
            "last_seen",
            "created",
        ]
        read_only_fields = [
            "host_key_presented",
            "host_key_fingerprint",
            "host_key_confirmed_at",
            "last_status",
            "last_seen",
            "created",
        ]


class ServerActionSerializer(serializers.ModelSerializer):
    server = serializers.CharField(source="server.name", read_only=True)
    user = serializers.CharField(source="user.username", default=None, read_only=True, allow_null=True)

    class Meta:
        model = ServerAction
        fields = ["id", "server", "action", "user", "ok", "output", "created"]
        read_only_fields = fields


class ServerPowerResultSerializer(serializers.Serializer):
    server = serializers.CharField()
    ok = serializers.BooleanField()
    output = serializers.CharField()


class ServerStatusSerializer(serializers.Serializer):
    """Live status; the remaining keys (CPU, memory, disk, GPUs) are those of the remote check."""

    online = serializers.BooleanField()
    error = serializers.CharField(required=False)
    checked_at = serializers.CharField()
    jobs = serializers.ListField(child=serializers.DictField())


class ServerLiveSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    last_seen = serializers.DateTimeField(allow_null=True)
    status = serializers.DictField()


class ConnectionDetailsSerializer(serializers.Serializer):
    command = serializers.CharField()
    key_path = serializers.CharField()
    known_hosts = serializers.CharField()
    remote_root = serializers.CharField()
    host_key_fingerprint = serializers.CharField()
    host_key_confirmed = serializers.BooleanField()


class LogQuerySerializer(serializers.Serializer):
    offset = serializers.IntegerField(min_value=0, max_value=2**62, default=0)
    job = object_id(required=False)


class LogChunkSerializer(serializers.Serializer):
    job = serializers.IntegerField(allow_null=True)
    text = serializers.CharField(allow_blank=True)
    next_offset = serializers.IntegerField()
    size = serializers.IntegerField()
    restarted = serializers.BooleanField()


class HostKeyConfirmSerializer(serializers.Serializer):
    fingerprint = serializers.CharField(
        max_length=200, help_text="The SHA256:... fingerprint you compared with the server's."
    )


class InstallKeySerializer(serializers.Serializer):
    key_path = serializers.CharField(
        max_length=MAX_PATH_CHARS, help_text="A private key on this machine that the server accepts now."
    )


class KillSerializer(serializers.Serializer):
    job = object_id(required=False, help_text="Default: every job the server runs.")


class ServerCheckSerializer(serializers.Serializer):
    check = serializers.CharField(default="selfcheck", max_length=100)
    options = BoundedDictField(required=False, default=dict)


def _targets_field(targets: tuple[str, ...]) -> serializers.ListField:
    return serializers.ListField(
        child=serializers.ChoiceField(choices=[*targets, "everything"]), min_length=1, max_length=len(targets) + 1
    )


class PushSerializer(serializers.Serializer):
    # ``what`` is built per use: the targets are registered by the apps (AppConfig.ready).
    epoch = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")

    def get_fields(self):
        return {"what": _targets_field(push_targets()), **super().get_fields()}


class PullSerializer(serializers.Serializer):
    epoch = serializers.CharField(max_length=100)
    delete_remote = serializers.BooleanField(
        default=False, help_text="Remove the server's copies once every file is verified here."
    )

    def get_fields(self):
        return {"what": _targets_field(pull_targets()), **super().get_fields()}
