"""Pages for jobs and servers. Live values come from the API, polled by small scripts."""
from django.shortcuts import get_object_or_404, render

from cluster import selectors
from cluster.models import Job
from cluster.services.servers import PULL_TARGETS, PUSH_TARGETS, server_checks, server_connection_details


def job_list(request):
    jobs = selectors.job_list(filters=request.GET or None).filter(parent__isnull=True)[:200]
    return render(request, "cluster/job_list.html", {"jobs": jobs})


def job_detail(request, pk: int):
    job = get_object_or_404(selectors.job_list(), pk=pk)
    return render(request, "cluster/job_detail.html", {"job": job, "children": job.children.order_by("id")[:500]})


def server_list(request):
    return render(request, "cluster/server_list.html", {"servers": selectors.server_list()})


def server_detail(request, pk: int):
    server = get_object_or_404(selectors.server_list(), pk=pk)
    return render(request, "cluster/server_detail.html", {
        "server": server,
        "details": server_connection_details(server=server),
        "actions": selectors.server_actions(server)[:30],
        "jobs": selectors.server_jobs(server)[:20],
        "checks": server_checks(),
        "push_targets": PUSH_TARGETS,
        "pull_targets": PULL_TARGETS,
    })


__all__ = ["job_list", "job_detail", "server_list", "server_detail", "Job"]
