"""Checks a server can run (job kinds registered by the apps, from their AppConfig.ready())."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cluster.models import Job, Server
from cluster.services.jobs import job_enqueue
from cluster.services.server_sessions import _record
from core.errors import ApplicationError

if TYPE_CHECKING:
    from django.contrib.auth.models import User


@dataclass(frozen=True)
class ServerCheck:
    """A job kind that proves a server can run our work (apps add their own: server_check_register)."""

    name: str
    kind: str
    label: str
    params: Mapping = field(default_factory=dict)


_CHECKS: dict[str, ServerCheck] = {}


def server_check_register(name: str, *, kind: str, label: str, params: Mapping | None = None) -> None:
    _CHECKS[name] = ServerCheck(name=name, kind=kind, label=label, params=dict(params or {}))


def server_checks() -> list[ServerCheck]:
    return sorted(_CHECKS.values(), key=lambda c: c.name)


server_check_register(
    "selfcheck",
    kind="cluster.selfcheck",
    label="Worker self-check in a remote process",
    params={"steps": 3, "step_seconds": 0.5, "child_process": True},
)


def server_check_run(
    *, server: Server, user: User | None, check: str = "selfcheck", options: Mapping | None = None
) -> Job:
    """Queue a check job that runs on the server."""
    if check not in _CHECKS:
        raise ApplicationError(f"unknown check {check!r}; known: {', '.join(_CHECKS) or 'none'}")
    spec = _CHECKS[check]
    job = job_enqueue(
        kind=spec.kind, params={**spec.params, **(options or {})}, user=user, server=server, target=server
    )
    _record(server, f"check {check}", user, True, f"queued job #{job.pk} ({spec.label})")
    return job
