"""Connecting to a cluster server with the admin-confirmed host key, and recording each action.

Every action leaves a `ServerAction` row saying who ran it and how it ended; a failure is
recorded and raised as `ApplicationError` (`ServerUnreachableError` when the server did not answer).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import paramiko
from django.conf import settings
from django.utils import timezone
from fabric import Connection

from cluster.models import Server, ServerAction
from cluster.remote.commands import expand_remote_root, remote_path
from cluster.remote.connection import ServerSpec, connect, ensure_private_key
from cluster.remote.errors import HostKeyChangedError, HostKeyError, RemoteError
from core.errors import ApplicationError

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# Errors that mean "cannot reach the server now", as opposed to a refusal that needs an admin.
UNREACHABLE = (OSError, EOFError, paramiko.SSHException)


class ServerUnreachableError(ApplicationError):
    """The server did not answer (down, no route, refused login)."""


def known_hosts_path() -> Path:
    return Path(settings.SSH_DIR) / "known_hosts"


def app_key_path() -> Path:
    return Path(settings.SSH_DIR) / "id_ed25519"


def app_public_key() -> str:
    """The application's public key line (the key pair is created on first use)."""
    return ensure_private_key(app_key_path())


def server_spec(server: Server, *, key_path: str | None = None) -> ServerSpec:
    key = key_path or server.key_path
    if not key:
        ensure_private_key(app_key_path())
        key = str(app_key_path())
    return ServerSpec(
        name=server.name,
        host=server.host,
        port=server.port,
        user=server.user,
        key_path=key,
        remote_root=server.remote_root,
        known_host_fingerprint=server.host_key_fingerprint if server.host_key_confirmed else None,
    )


def server_connect(server: Server, *, key_path: str | None = None, timeout: float = 10.0) -> Connection:
    """An authenticated connection; raises the remote layer's errors unchanged."""
    return connect(server_spec(server, key_path=key_path), known_hosts_path(), timeout=timeout)


def server_python(server: Server, root: str) -> str:
    return server.python or remote_path(root, "venv/bin/python")


def _record(server: Server, action: str, user: User | None, ok: bool, output: str) -> ServerAction:
    return ServerAction.objects.create(
        server=server,
        action=action,
        user=user if getattr(user, "is_authenticated", False) else None,
        ok=ok,
        output=output[-20000:],
    )


def _mark_offline(server: Server, error: str, **extra: object) -> None:
    status = {"online": False, "error": error, "checked_at": timezone.now().isoformat(), **extra}
    Server.objects.filter(pk=server.pk).update(last_status=status)
    server.last_status = status


def refusal(server: Server, action: str, user: User | None, exc: BaseException) -> ApplicationError:
    """Record a failed action and turn the cause into a message for the user."""
    if isinstance(exc, HostKeyChangedError):
        message = f"{exc}. Check the server, then fetch and confirm its new key."
        _mark_offline(server, message, host_key_changed=True)
    elif isinstance(exc, HostKeyError):
        message = f"{exc}."
    elif isinstance(exc, UNREACHABLE):
        message = f"server {server.name} ({server.host}:{server.port}) is unreachable: {type(exc).__name__}: {exc}"
        _record(server, action, user, False, message)
        return ServerUnreachableError(message)
    else:
        message = str(exc)
    _record(server, action, user, False, message)
    return ApplicationError(message)


@contextlib.contextmanager
def server_session(
    server: Server, *, action: str, user: User | None = None, key_path: str | None = None
) -> Iterator[tuple[Connection, str]]:
    """Connection and absolute remote root for one action; failures are recorded and raised
    as `ApplicationError` (`ServerUnreachableError` when the server did not answer)."""
    try:
        conn = server_connect(server, key_path=key_path)
    except (RemoteError, *UNREACHABLE) as exc:
        raise refusal(server, action, user, exc) from exc
    try:
        try:
            root = expand_remote_root(conn, server.remote_root)
            yield conn, root
        except (RemoteError, *UNREACHABLE) as exc:
            raise refusal(server, action, user, exc) from exc
    finally:
        conn.close()


def _run_action(
    server: Server,
    action: str,
    user: User | None,
    work: Callable[[Connection, str], str],
    **connect_kwargs: str | None,
) -> ServerAction:
    with server_session(server, action=action, user=user, **connect_kwargs) as (conn, root):
        output = work(conn, root)
    return _record(server, action, user, True, output)
