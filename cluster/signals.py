"""Clean up after every migrate: the reaper now runs inside each worker (cluster.jobs.worker),
at the period of ``JOB_REAPER_SECONDS``; the former one-minute schedule is removed."""
from django.db.models.signals import post_migrate
from django.dispatch import receiver


@receiver(post_migrate)
def ensure_schedules(sender, **kwargs) -> None:
    if getattr(sender, "name", "") != "cluster":
        return
    from django_q.models import Schedule

    Schedule.objects.filter(name="reap stale jobs", func="cluster.tasks.reap").delete()
