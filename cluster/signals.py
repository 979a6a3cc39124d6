"""After every migrate, remove the former one-minute reaper schedule (the reaper now runs inside
each worker, cluster.jobs.worker, at the period of ``JOB_REAPER_SECONDS``); a server's host-key
confirmation withdrawn when its connection changes."""

from django.db.models.signals import post_migrate, pre_save
from django.dispatch import receiver
from django_q.models import Schedule


@receiver(post_migrate)
def ensure_schedules(sender, **kwargs) -> None:
    if getattr(sender, "name", "") != "cluster":
        return

    Schedule.objects.filter(name="reap stale jobs", func="cluster.tasks.reap").delete()


# What decides where and how we connect, and what runs there: changing any of them makes the
# confirmed host key meaningless for the server row, so the confirmation is withdrawn.
CONNECTION_FIELDS = ("host", "port", "user", "key_path", "python", "remote_root")


@receiver(pre_save, sender="cluster.Server", dispatch_uid="cluster.withdraw_host_key_confirmation")
def withdraw_host_key_confirmation(sender, instance, raw=False, update_fields=None, **kwargs) -> None:
    if raw or instance.pk is None:
        return
    before = sender.objects.filter(pk=instance.pk).values(*CONNECTION_FIELDS).first()
    if before is None or all(before[name] == getattr(instance, name) for name in CONNECTION_FIELDS):
        return
    instance.host_key_fingerprint = ""
    instance.host_key_presented = ""
    instance.host_key_confirmed_by = None
    instance.host_key_confirmed_at = None
    if update_fields is not None:  # a partial save would not write the withdrawal: write it now
        sender.objects.filter(pk=instance.pk).update(
            host_key_fingerprint="", host_key_presented="", host_key_confirmed_by=None, host_key_confirmed_at=None
        )
