"""A server's status (online, jobs, CPU, memory, disk, GPUs), the ssh command line, the remote log."""

from __future__ import annotations

import contextlib
from dataclasses import asdict
from datetime import datetime
from typing import TYPE_CHECKING

from django.db.models import QuerySet
from django.utils import timezone

from cluster.choices import JobStatus
from cluster.models import Job, Server
from cluster.remote.commands import expand_remote_root, join
from cluster.remote.errors import HostKeyError, PrivateKeyError, RemoteCommandError
from cluster.remote.processes import RemoteProcess, is_alive, read_log
from cluster.remote.status import read_status
from cluster.services.server_sessions import (
    UNREACHABLE,
    _record,
    known_hosts_path,
    refusal,
    server_connect,
    server_session,
    server_spec,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def _running_jobs(server: Server) -> QuerySet[Job]:
    return Job.objects.filter(server=server, status=JobStatus.RUNNING, waiting=False).order_by("id")


def remote_process_of(job: Job, server: Server) -> RemoteProcess | None:
    """The remote process recorded on ``job`` for ``server`` (see remote_jobs.run_remote)."""
    info = (job.state or {}).get("remote") or {}
    if info.get("server") != server.pk:
        return None
    return RemoteProcess(pid=info["pid"], pgid=info["pgid"], log_path=info["log_path"], exit_path=info["exit_path"])


def server_status_refresh(*, server: Server, user: User | None = None, record: bool = False) -> dict:
    """Check the server now: online, its jobs (and whether their processes live), CPU, memory,
    disk, GPUs. Stored on the server; an unreachable server reads as offline."""
    jobs = list(_running_jobs(server))
    status: dict
    try:
        with contextlib.closing(server_connect(server)) as conn:
            root = expand_remote_root(conn, server.remote_root)
            status = asdict(read_status(conn, root))
            status["jobs"] = []
            for job in jobs:
                proc = remote_process_of(job, server)
                status["jobs"].append(
                    {
                        "id": job.pk,
                        "kind": job.kind,
                        "percent": job.percent,
                        "message": job.progress_message,
                        "pid": proc.pid if proc else None,
                        "alive": is_alive(conn, proc) if proc else None,
                    }
                )
    except (HostKeyError, PrivateKeyError) as exc:
        raise refusal(server, "status", user, exc) from exc
    except (RemoteCommandError, *UNREACHABLE) as exc:
        status = {"online": False, "error": f"{type(exc).__name__}: {exc}"}
        status["jobs"] = [
            {"id": j.pk, "kind": j.kind, "percent": j.percent, "message": j.progress_message} for j in jobs
        ]
    now = timezone.now()
    status["checked_at"] = now.isoformat()
    fields = {"last_status": status, **({"last_seen": now} if status["online"] else {})}
    Server.objects.filter(pk=server.pk).update(**fields)
    for name, value in fields.items():
        setattr(server, name, value)
    if record:
        _record(server, "status", user, status["online"], status_summary(status))
    return status


def status_summary(status: dict) -> str:
    if not status["online"]:
        return f"offline: {status.get('error', '')}"
    jobs = ", ".join(f"#{j['id']} {j['kind']}" for j in status["jobs"]) or "not running"
    gib = 1024**3
    memory = (
        f"{status['memory_available_bytes'] / gib:.1f} of {status['memory_total_bytes'] / gib:.1f} GiB free"
        if status.get("memory_total_bytes")
        else "memory unknown"
    )
    gpus = (
        "; ".join(f"GPU{g['index']} {g['name']} {g['utilization_percent']}%" for g in status.get("gpus", ()))
        or "no GPU"
    )
    return f"online; jobs: {jobs}; {status.get('cpu_count')} CPUs, load {status.get('load_1')}; {memory}; {gpus}"


def server_status_cached(*, server: Server, max_age_s: float = 10.0) -> dict:
    """The stored status, refreshed when older than ``max_age_s`` (for pages that poll)."""
    checked = server.last_status.get("checked_at") if server.last_status else None
    if checked and (timezone.now() - datetime.fromisoformat(checked)).total_seconds() < max_age_s:
        return server.last_status
    return server_status_refresh(server=server)


def server_connection_details(*, server: Server) -> dict:
    """The ssh command line an admin copies to log in by hand, with our key and known_hosts."""
    spec = server_spec(server)
    command = [
        "ssh",
        "-i",
        spec.key_path,
        "-p",
        str(server.port),
        "-o",
        f"UserKnownHostsFile={known_hosts_path()}",
        "-o",
        "StrictHostKeyChecking=yes",
        f"{server.user}@{server.host}",
    ]
    return {
        "command": join(command),
        "key_path": spec.key_path,
        "known_hosts": str(known_hosts_path()),
        "remote_root": server.remote_root,
        "host_key_fingerprint": server.host_key_fingerprint,
        "host_key_confirmed": server.host_key_confirmed,
    }


def server_log_chunk(*, server: Server, offset: int = 0, job: Job | None = None) -> dict:
    """Part of a job's remote log from byte ``offset`` (pass ``next_offset`` back next time).

    Without ``job``: the job the server runs, else the latest job that ran there.
    """
    if job is None:
        job = _running_jobs(server).filter(state__has_key="remote").last() or (
            Job.objects.filter(server=server, state__has_key="remote").order_by("-started", "-id").first()
        )
    info = (job.state or {}).get("remote", {}) if job else {}
    if not job or info.get("server") != server.pk:
        return {"job": job.pk if job else None, "text": "", "next_offset": 0, "size": 0, "restarted": False}
    with server_session(server, action="log") as (conn, root):
        chunk = read_log(conn, root, info["log"], max(0, int(offset)))
    return {
        "job": job.pk,
        "text": chunk.text,
        "next_offset": chunk.next_offset,
        "size": chunk.size,
        "restarted": chunk.restarted,
    }
