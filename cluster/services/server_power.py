"""Reboot, shut down, and kill the jobs a server runs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from fabric import Connection

from cluster.choices import ACTIVE_STATUSES
from cluster.models import Job, Server, ServerAction
from cluster.remote.commands import join, run_checked
from cluster.remote.processes import kill_group
from cluster.services.jobs import job_cancel
from cluster.services.server_sessions import UNREACHABLE, _run_action
from cluster.services.server_status import _running_jobs, remote_process_of
from core.errors import ApplicationError

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def server_power(*, server: Server, action: str, user: User | None) -> ServerAction:
    """``reboot`` or ``shutdown`` through ``sudo -n`` (never prompts: a refusal is reported)."""
    commands = settings.SERVER_POWER_COMMANDS
    if action not in commands:
        raise ApplicationError(f"unknown power action {action!r}; expected one of {', '.join(commands)}")
    command = join(commands[action])

    def work(conn: Connection, root: str) -> str:
        try:
            output = run_checked(conn, command, timeout=20)
        except UNREACHABLE:  # the machine went down under us: that is the expected outcome
            return f"{command}: connection closed as the server went down"
        return f"{command}: {output.strip() or 'accepted'}"

    return _run_action(server, action, user, work)


def servers_power_all(*, action: str, user: User | None) -> list[dict]:
    """Reboot or shut down every confirmed cluster server; one server's failure stops nothing."""
    results = []
    for server in Server.objects.filter(is_cluster_worker=True).order_by("name"):
        try:
            row = server_power(server=server, action=action, user=user)
            results.append({"server": server.name, "ok": True, "output": row.output})
        except ApplicationError as exc:
            results.append({"server": server.name, "ok": False, "output": exc.message})
    return results


def server_kill_job(*, server: Server, user: User | None, job: Job | None = None) -> ServerAction:
    """Stop the job(s) the server runs: cancel the job rows, then kill each recorded remote
    process group (never a process found by matching command lines)."""
    jobs = [job] if job is not None else list(_running_jobs(server))
    recorded = [(j, remote_process_of(j, server)) for j in jobs]
    targets = [(j, p) for j, p in recorded if p is not None]
    if not targets:
        raise ApplicationError(f"{server.name} runs no job with a recorded remote process.")

    def work(conn: Connection, root: str) -> str:
        lines = []
        for target, proc in targets:
            if target.status in ACTIVE_STATUSES:
                job_cancel(job=target, user=user)
            lines.append(f"job #{target.pk} (process group {proc.pgid}): {kill_group(conn, proc)}")
        return "\n".join(lines)

    return _run_action(server, "kill", user, work)
