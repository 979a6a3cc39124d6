"""Deletions and server edits made in the admin go to the audit log too.

The admin writes a LogEntry for every change and deletion; this copies the destructive ones,
with the values a server edit set (never a password: users' changes are not copied as values).
"""
from django.contrib.admin.models import CHANGE, DELETION, LogEntry
from django.db.models.signals import post_save
from django.dispatch import receiver

from accounts.audit import audit_record

# Server fields whose new values are worth keeping (nothing secret: keys stay on disk).
SERVER_FIELDS = ("name", "host", "port", "user", "key_path", "remote_root", "python", "is_cluster_worker", "max_jobs")


@receiver(post_save, sender=LogEntry, dispatch_uid="accounts.audit_admin_log")
def audit_admin_log(sender, instance: LogEntry, created: bool, **kwargs) -> None:
    if not created or instance.content_type is None:
        return
    label = f"{instance.content_type.app_label}.{instance.content_type.model}"
    if instance.action_flag == DELETION:
        audit_record(user=instance.user, interface="admin", action=f"{label}.delete", target=f"{instance.object_id} ({instance.object_repr})")
    elif instance.action_flag == CHANGE and label == "cluster.server":
        from cluster.models import Server

        server = Server.objects.filter(pk=instance.object_id).first()
        values = {name: getattr(server, name) for name in SERVER_FIELDS} if server else {}
        audit_record(user=instance.user, interface="admin", action="cluster.server.change",
                     target=f"{instance.object_id} ({instance.object_repr})",
                     params={"changed": instance.get_change_message(), "values": values})
