"""Make sure the worker's periodic tasks exist after every migrate."""
from django.db.models.signals import post_migrate
from django.dispatch import receiver


@receiver(post_migrate)
def ensure_schedules(sender, **kwargs) -> None:
    if getattr(sender, "name", "") != "cluster":
        return
    from django_q.models import Schedule

    Schedule.objects.update_or_create(
        name="reap stale jobs",
        defaults={"func": "cluster.tasks.reap", "schedule_type": Schedule.MINUTES, "minutes": 1, "repeats": -1},
    )
