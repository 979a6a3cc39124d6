"""Remote command lines built with proper quoting, on paths confined to the remote root.

Every value that reaches a remote shell goes through `shlex.quote` / `shlex.join`; nothing is
ever formatted into a command line raw.
"""

from __future__ import annotations

import posixpath
import shlex
import threading
from collections.abc import Sequence

from fabric import Connection

from .errors import RemoteCommandError, UnsafeRemotePathError

quote = shlex.quote
join = shlex.join


def _check_text(value: str, what: str) -> None:
    if not isinstance(value, str) or not value:
        raise UnsafeRemotePathError(f"{what} must be a non-empty string, got {value!r}")
    if "\x00" in value or "\n" in value or "\r" in value:
        raise UnsafeRemotePathError(f"{what} {value!r} contains a NUL or line break")


def normalize_root(remote_root: str) -> str:
    """Validate a server's remote root: an absolute POSIX path, returned normalised."""
    _check_text(remote_root, "remote root")
    if not remote_root.startswith("/"):
        raise UnsafeRemotePathError(f"remote root {remote_root!r} must be an absolute path")
    root = posixpath.normpath(remote_root)
    if root.startswith("//"):  # POSIX keeps a leading '//' as implementation defined
        root = "/" + root.lstrip("/")
    if root == "/":
        raise UnsafeRemotePathError("remote root must not be '/'")
    return root


def remote_path(remote_root: str, *parts: str) -> str:
    """Join relative ``parts`` below ``remote_root``; refuse anything that would leave it.

    A part may hold several components (``"a/b.json"``) but no ``..``, no absolute path,
    no NUL or line break.
    """
    root = normalize_root(remote_root)
    for part in parts:
        _check_text(part, "remote path component")
        if part.startswith("/"):
            raise UnsafeRemotePathError(f"remote path component {part!r} is absolute")
        if ".." in part.split("/"):
            raise UnsafeRemotePathError(f"remote path component {part!r} contains '..'")
    path = posixpath.normpath(posixpath.join(root, *parts))
    if path != root and not path.startswith(root + "/"):
        raise UnsafeRemotePathError(f"remote path {path!r} is outside the remote root {root!r}")
    return path


def run_checked(
    conn: Connection, command: str, *, timeout: float | None = None, stdin: str | bytes | None = None
) -> str:
    """Run a shell command line on the server; return stdout, raise `RemoteCommandError` on failure.

    Uses a bare SSH channel: Invoke's stdin pump sends one byte per 10 ms, far too slow for
    JSON payloads. ``timeout`` bounds each wait for output, not the total run time.
    """
    conn.open()
    channel = conn.transport.open_session(timeout=timeout)
    try:
        channel.settimeout(timeout)
        channel.exec_command(command)
        if stdin is not None:
            channel.sendall(stdin.encode("utf-8") if isinstance(stdin, str) else stdin)
        channel.shutdown_write()
        stderr: list[bytes] = []
        # Drain stderr beside stdout so neither stream can fill the channel window and stall.
        reader = threading.Thread(target=lambda: stderr.append(channel.makefile_stderr("rb").read()), daemon=True)
        reader.start()
        stdout = channel.makefile("rb").read()
        reader.join(timeout)
        exit_code = channel.recv_exit_status()
    except TimeoutError:
        raise RemoteCommandError(command, -1, f"no answer from {conn.host} within {timeout} s") from None
    finally:
        channel.close()
    if exit_code != 0:
        raise RemoteCommandError(command, exit_code, b"".join(stderr).decode("utf-8", "replace"))
    return stdout.decode("utf-8", "replace")


def mkdir_p(conn: Connection, paths: Sequence[str]) -> None:
    """Create remote directories (already confined by the caller) in one round trip."""
    if paths:
        run_checked(conn, join(["mkdir", "-p", "--", *paths]))


def expand_remote_root(conn: Connection, remote_root: str) -> str:
    """Turn ``~/epoch-builder`` or ``epoch-builder`` into an absolute root below the login's $HOME."""
    _check_text(remote_root, "remote root")
    if remote_root.startswith("/"):
        return normalize_root(remote_root)
    home = normalize_root(run_checked(conn, 'printf %s "$HOME"'))
    relative = remote_root[2:] if remote_root.startswith("~/") else remote_root
    return remote_path(home, relative)
