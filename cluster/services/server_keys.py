"""Host keys (fetch, confirm) and the application's key installed on a server."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils import timezone
from fabric import Connection

from cluster.models import Server, ServerAction
from cluster.remote.commands import quote, run_checked
from cluster.remote.connection import fetch_host_fingerprint, trust_host_key
from cluster.remote.errors import HostKeyError, RemoteError
from cluster.services.server_sessions import (
    UNREACHABLE,
    _record,
    _run_action,
    app_key_path,
    app_public_key,
    known_hosts_path,
    refusal,
    server_connect,
)
from core.errors import ApplicationError

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def server_host_key_fetch(*, server: Server, user: User | None = None) -> str:
    """Read the key the server presents now and keep its fingerprint for an admin to compare."""
    try:
        fingerprint = fetch_host_fingerprint(server.host, server.port)
    except UNREACHABLE as exc:
        raise refusal(server, "fetch host key", user, exc) from exc
    Server.objects.filter(pk=server.pk).update(host_key_presented=fingerprint)
    server.host_key_presented = fingerprint
    note = "" if fingerprint == server.host_key_fingerprint else " (not confirmed yet)"
    _record(server, "fetch host key", user, True, f"server presents {fingerprint}{note}")
    return fingerprint


def server_host_key_confirm(*, server: Server, fingerprint: str, user: User | None) -> Server:
    """Trust the key whose fingerprint the admin compared with the server's own.

    The fingerprint must be the one last fetched, and the server must present it now.
    """
    fingerprint = fingerprint.strip()
    if not server.host_key_presented:
        raise ApplicationError(f"Fetch the host key of {server.name} first, then compare and confirm it.")
    if fingerprint != server.host_key_presented:
        raise ApplicationError(
            f"{fingerprint!r} is not the fingerprint {server.name} presented ({server.host_key_presented})."
        )
    try:
        trust_host_key(server.host, server.port, fingerprint, known_hosts_path())
    except (HostKeyError, *UNREACHABLE) as exc:
        raise refusal(server, "confirm host key", user, exc) from exc
    now = timezone.now()
    Server.objects.filter(pk=server.pk).update(
        host_key_fingerprint=fingerprint,
        host_key_confirmed_by=user,
        host_key_confirmed_at=now,
        last_status={},
    )
    server.refresh_from_db()
    _record(server, "confirm host key", user, True, f"confirmed {fingerprint}")
    return server


def _authorized_keys_target() -> str:
    """Shell word for the authorized_keys file: relative paths are below the login's $HOME."""
    path = getattr(settings, "SSH_AUTHORIZED_KEYS_FILE", ".ssh/authorized_keys")
    return quote(path) if path.startswith("/") else f'"$HOME"/{quote(path)}'


def server_install_key(*, server: Server, user: User | None, key_path: str) -> ServerAction:
    """Append the app's public key to the server's authorized_keys (once), logging in with
    ``key_path`` this one time; then switch the server to the app's key if that key works."""
    line = app_public_key()
    target = _authorized_keys_target()
    script = "\n".join(
        [
            "set -e",
            "umask 077",
            f"f={target}",
            'mkdir -p -- "$(dirname -- "$f")"',
            'touch -- "$f"',
            f'if grep -qxF -- {quote(line)} "$f"; then echo "already installed"; '
            f'else printf "%s\\n" {quote(line)} >> "$f"; echo installed; fi',
        ]
    )

    def work(conn: Connection, root: str) -> str:
        return run_checked(conn, script).strip()

    row = _run_action(server, "install key", user, work, key_path=key_path)
    switched = ""
    if server.key_path:
        try:
            with contextlib.closing(server_connect(server, key_path=str(app_key_path()))) as conn:
                run_checked(conn, "true")
        except (RemoteError, *UNREACHABLE) as exc:
            switched = (
                f"; the app key does not log in yet ({type(exc).__name__}: {exc}), {server.key_path} stays in use"
            )
        else:
            Server.objects.filter(pk=server.pk).update(key_path="")
            switched = f"; the server now uses the app key instead of {server.key_path}"
            server.key_path = ""
    row.output += switched
    row.save(update_fields=["output"])
    return row
