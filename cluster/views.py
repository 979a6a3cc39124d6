"""Pages for jobs and servers. Live values come from the API, polled by small scripts."""

from django.shortcuts import get_object_or_404, render

from cluster import selectors
from cluster.choices import JobStatus
from cluster.filters import JobFilterSet
from cluster.models import Job
from cluster.services.servers import pull_targets, push_targets, server_checks, server_connection_details


def job_list(request):
    filterset = JobFilterSet(request.GET or None, queryset=selectors.job_list_with_children())
    jobs = (filterset.qs if filterset.is_bound else selectors.job_list_with_children()).filter(parent__isnull=True)
    kinds = Job.objects.order_by("kind").values_list("kind", flat=True).distinct()
    return render(
        request,
        "cluster/job_list.html",
        {
            "jobs": jobs[:200],
            "filterset": filterset,
            "kinds": kinds,
            "epochs": selectors.job_epochs(),
            "statuses": JobStatus.choices,
            "chosen": request.GET.getlist("status"),
            "kind": request.GET.get("kind", ""),
            "epoch": request.GET.get("epoch", ""),
            "show_children": True,
        },
    )


def job_detail(request, pk: int):
    job = get_object_or_404(selectors.job_list_with_children(), pk=pk)
    children = selectors.job_list_with_children(filters={"parent": job.pk}).order_by("id")[:500]
    return render(request, "cluster/job_detail.html", {"job": job, "children": children, "show_children": True})


def server_list(request):
    return render(request, "cluster/server_list.html", {"servers": selectors.server_list()})


def server_detail(request, pk: int):
    server = get_object_or_404(selectors.server_list(), pk=pk)
    return render(
        request,
        "cluster/server_detail.html",
        {
            "server": server,
            "details": server_connection_details(server=server),
            "actions": selectors.server_actions(server)[:30],
            "jobs": selectors.server_jobs(server)[:20],
            "checks": server_checks(),
            "push_targets": push_targets(),
            "pull_targets": pull_targets(),
        },
    )


__all__ = ["Job", "job_detail", "job_list", "server_detail", "server_list"]
