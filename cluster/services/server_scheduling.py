"""Which server takes the next remote job."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

from django.db.models import Count, F, Q

from cluster.choices import JobStatus
from cluster.models import Server
from cluster.remote.commands import run_checked
from cluster.remote.errors import RemoteError
from cluster.services.server_sessions import UNREACHABLE, server_connect


def server_reachable(server: Server, *, timeout: float = 5.0) -> bool:
    try:
        with contextlib.closing(server_connect(server, timeout=timeout)) as conn:
            run_checked(conn, "true", timeout=timeout)
        return True
    except (RemoteError, *UNREACHABLE):
        return False


def server_pick(*, exclude: Sequence[int] = ()) -> Server | None:
    """An online cluster server with a confirmed host key and a free slot (fewest running jobs
    first); online is checked now, not read from the stored status."""
    candidates = (
        Server.objects.filter(is_cluster_worker=True, host_key_confirmed_at__isnull=False)
        .exclude(host_key_fingerprint="")
        .exclude(pk__in=list(exclude))
        .annotate(running=Count("jobs", filter=Q(jobs__status=JobStatus.RUNNING, jobs__waiting=False)))
        .filter(running__lt=F("max_jobs"))
        .order_by("running", "name")
    )
    for server in candidates:
        if server_reachable(server):
            return server
    return None
