from rest_framework import serializers

from cluster.models import Job, Server


class JobSerializer(serializers.ModelSerializer):
    percent = serializers.FloatField(read_only=True)
    where = serializers.CharField(read_only=True)
    target_type = serializers.CharField(source="target_type.model", default=None, read_only=True)
    created_by = serializers.CharField(source="created_by.username", default=None, read_only=True)
    children_count = serializers.IntegerField(read_only=True, default=None)

    class Meta:
        model = Job
        fields = [
            "id", "kind", "status", "params", "target_type", "target_id", "target_label", "created_by", "server", "where",
            "parent", "attempts", "max_attempts", "cancel_requested", "waiting", "worker", "heartbeat_at",
            "progress_done", "progress_total", "progress_message", "percent", "log_tail", "result", "error",
            "traceback", "created", "started", "finished", "children_count",
        ]
        read_only_fields = fields


class JobBriefSerializer(JobSerializer):
    class Meta(JobSerializer.Meta):
        fields = [
            "id", "kind", "status", "target_label", "where", "parent", "attempts", "progress_done", "progress_total",
            "progress_message", "percent", "error", "created", "started", "finished", "children_count",
        ]
        read_only_fields = fields


class SelfCheckInputSerializer(serializers.Serializer):
    steps = serializers.IntegerField(min_value=1, max_value=1000, default=5)
    step_seconds = serializers.FloatField(min_value=0.0, max_value=3600, default=1.0)
    child_process = serializers.BooleanField(default=False)


class ServerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Server
        fields = [
            "id", "name", "host", "port", "user", "key_path", "remote_root", "is_cluster_worker", "max_jobs",
            "host_key_fingerprint", "host_key_confirmed_at", "last_status", "last_seen", "created",
        ]
        read_only_fields = ["host_key_fingerprint", "host_key_confirmed_at", "last_status", "last_seen", "created"]
