"""Reads of jobs and servers."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django_q.status import Stat

from cluster.choices import TERMINAL_STATUSES, JobStatus
from cluster.filters import JobFilterSet
from cluster.models import Job, Server


def job_list(*, filters: dict | None = None) -> QuerySet[Job]:
    qs = Job.objects.select_related("server", "created_by", "target_type").order_by("-created", "-id")
    if filters:
        qs = JobFilterSet(filters, qs).qs
    return qs


def _children_count(children: QuerySet[Job]):
    # A subquery per row returned (not a join grouped over every job and its log).
    counted = children.order_by().values("parent").annotate(n=Count("pk")).values("n")[:1]
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def job_list_with_children(*, filters: dict | None = None) -> QuerySet[Job]:
    """Jobs with ``children_total`` and ``children_done`` (ended, whatever the outcome), counted
    in the same query."""
    children = Job.objects.filter(parent=OuterRef("pk"))
    return job_list(filters=filters).annotate(
        children_total=_children_count(children),
        children_done=_children_count(children.filter(status__in=TERMINAL_STATUSES)),
    )


def job_epochs() -> list[str]:
    """Epochs that jobs name in their settings or target, for the jobs page's epoch filter."""
    named = Job.objects.filter(params__has_key="epoch_id").values_list("params__epoch_id", flat=True).distinct()
    return sorted({str(e) for e in named if e})


def jobs_for_target(obj) -> QuerySet[Job]:
    return job_list().filter(target_type=ContentType.objects.get_for_model(obj), target_id=str(obj.pk))


def jobs_busy_on(server: Server | None) -> tuple[int, int]:
    """``(running, queued)``: the jobs working on a host now (parents waiting for children left out)
    and those waiting for one of its slots. ``server`` None: the local workers."""
    jobs = Job.objects.filter(server=server)
    running = jobs.filter(status=JobStatus.RUNNING, waiting=False).count()
    return running, jobs.filter(status=JobStatus.QUEUED).count()


def server_list() -> QuerySet[Server]:
    return Server.objects.order_by("name")


def workers_alive() -> list[dict]:
    """django-q2 clusters that reported in the last few seconds."""
    try:
        return [{"host": s.host, "pid": s.pid, "status": s.status, "workers": len(s.workers)} for s in Stat.get_all()]
    except Exception:  # the stats cache may be unreachable; then nothing is known to be alive
        return []


def server_live_list() -> list[dict]:
    """Every server's stored status, for pages that poll (no SSH)."""
    return [
        {"id": s.pk, "name": s.name, "last_seen": s.last_seen, "status": s.last_status or {}} for s in server_list()
    ]


def server_actions(server: Server):
    return server.actions.select_related("user").order_by("-created", "-id")


def server_jobs(server: Server) -> QuerySet[Job]:
    return job_list().filter(server=server)
