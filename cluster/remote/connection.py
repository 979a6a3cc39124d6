"""SSH connections to cluster servers: key authentication only, confirmed host keys only.

Host keys live in a known_hosts file that this application manages (never in the database,
never the user's ~/.ssh/known_hosts). A server whose key nobody confirmed is refused; a server
whose key changed raises `HostKeyChangedError`, and callers must stop every action on it.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import hashlib
import os
import socket
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import paramiko
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fabric import Config, Connection
from paramiko.hostkeys import HostKeyEntry

from core.files import atomic_open

from .errors import HostKeyChangedError, HostKeyUnknownError, PrivateKeyError

DEFAULT_TIMEOUT = 10.0
# Host key algorithm offered first when fetching a fingerprint, so the admin compares it with
# `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` on the server.
PREFERRED_HOST_KEY_TYPES = ("ssh-ed25519", "ecdsa-sha2-nistp256", "rsa-sha2-512", "rsa-sha2-256")


@dataclass(frozen=True)
class ServerSpec:
    """Everything needed to reach one server; built by services from a `Server` row."""

    name: str
    host: str
    port: int
    user: str
    key_path: str
    remote_root: str
    known_host_fingerprint: str | None = None


# --- host keys -------------------------------------------------------------------------------


def host_key_fingerprint(key: paramiko.PKey) -> str:
    """OpenSSH-style fingerprint, e.g. ``SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8``."""
    digest = hashlib.sha256(key.asbytes()).digest()
    return "SHA256:" + base64.b64encode(digest).decode("ascii").rstrip("=")


def known_hosts_name(host: str, port: int) -> str:
    """The host field OpenSSH and paramiko use in known_hosts for ``host:port``."""
    return host if port == 22 else f"[{host}]:{port}"


def fetch_host_key(host: str, port: int = 22, *, timeout: float = DEFAULT_TIMEOUT) -> paramiko.PKey:
    """Read the key a server presents, without authenticating (for an admin to confirm)."""
    sock = socket.create_connection((host, port), timeout=timeout)
    transport = paramiko.Transport(sock)
    try:
        options = transport.get_security_options()
        offered = list(options.key_types)
        options.key_types = [k for k in PREFERRED_HOST_KEY_TYPES if k in offered] + [
            k for k in offered if k not in PREFERRED_HOST_KEY_TYPES
        ]
        transport.banner_timeout = timeout
        transport.start_client(timeout=timeout)
        return transport.get_remote_server_key()
    finally:
        transport.close()


def fetch_host_fingerprint(host: str, port: int = 22, *, timeout: float = DEFAULT_TIMEOUT) -> str:
    """Fingerprint of the key a server presents now; show it to an admin before trusting it."""
    return host_key_fingerprint(fetch_host_key(host, port, timeout=timeout))


def trust_host_key(
    host: str, port: int, fingerprint: str, known_hosts_path: str | os.PathLike, *, timeout: float = DEFAULT_TIMEOUT
) -> None:
    """Record the server's key in our known_hosts once its fingerprint matches the confirmed one.

    Replaces any earlier key of that server (an admin re-confirmed a reinstalled server).
    """
    key = fetch_host_key(host, port, timeout=timeout)
    seen = host_key_fingerprint(key)
    if seen != fingerprint:
        raise HostKeyChangedError(
            f"server {known_hosts_name(host, port)} presents {seen}, not the confirmed {fingerprint}",
            host=host,
            port=port,
            fingerprint=seen,
        )
    _store_host_key(known_hosts_path, known_hosts_name(host, port), key)


def forget_host_key(host: str, port: int, known_hosts_path: str | os.PathLike) -> bool:
    """Drop a server's recorded key; returns whether one was recorded."""
    return _store_host_key(known_hosts_path, known_hosts_name(host, port), None)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    # Several workers may pin keys at once; serialise read-modify-write of the file.
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(f"{path}.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _entry_names_host(line: str, name: str) -> bool:
    entry = HostKeyEntry.from_line(line)
    if entry is None:
        return False
    for pattern in entry.hostnames:
        if pattern == name or (pattern.startswith("|1|") and paramiko.HostKeys.hash_host(name, pattern) == pattern):
            return True
    return False


def _store_host_key(known_hosts_path: str | os.PathLike, name: str, key: paramiko.PKey | None) -> bool:
    """Replace (or with ``key=None`` remove) the entries of ``name``; returns whether any existed."""
    path = Path(known_hosts_path)
    with _locked(path):
        lines = path.read_text(encoding="ascii").splitlines() if path.exists() else []
        kept = [line for line in lines if not _entry_names_host(line, name)]
        if key is not None:
            kept.append(f"{name} {key.get_name()} {key.get_base64()}")
        with atomic_open(path, "w", encoding="ascii") as handle:
            handle.write("".join(f"{line}\n" for line in kept))
    return len(kept) - (key is not None) < len(lines)


class _ConfirmedKeyPolicy(paramiko.MissingHostKeyPolicy):
    """Refuse keys absent from our known_hosts, unless they match the admin-confirmed fingerprint."""

    def __init__(self, spec: ServerSpec, known_hosts_path: str | os.PathLike):
        self.spec = spec
        self.known_hosts_path = known_hosts_path

    def missing_host_key(self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey) -> None:
        seen = host_key_fingerprint(key)
        expected = self.spec.known_host_fingerprint
        if expected is None:
            raise HostKeyUnknownError(
                f"server {self.spec.name} ({hostname}) presents an unconfirmed {key.get_name()} key {seen}; "
                "confirm this fingerprint before using the server",
                host=self.spec.host,
                port=self.spec.port,
                fingerprint=seen,
            )
        if seen != expected:
            raise HostKeyChangedError(
                f"server {self.spec.name} ({hostname}) presents {seen}, not the confirmed {expected}; "
                "all actions on it are stopped",
                host=self.spec.host,
                port=self.spec.port,
                fingerprint=seen,
            )
        _store_host_key(self.known_hosts_path, hostname, key)


# --- client key ------------------------------------------------------------------------------


def check_private_key(path: str | os.PathLike) -> None:
    """Refuse a missing key, or one that group or others may read (OpenSSH's own rule)."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise PrivateKeyError(f"private key {path} does not exist") from None
    if not stat.S_ISREG(info.st_mode):
        raise PrivateKeyError(f"private key {path} is not a regular file")
    mode = stat.S_IMODE(info.st_mode)
    if mode & 0o077:
        raise PrivateKeyError(
            f"private key {path} has permissions {mode:04o}; it must be readable by its owner only (chmod 600 {path})"
        )


def _load_private_key(path: str | os.PathLike) -> paramiko.PKey:
    check_private_key(path)
    try:
        return paramiko.PKey.from_path(path)
    except (paramiko.SSHException, ValueError, OSError) as exc:
        raise PrivateKeyError(f"private key {path} cannot be loaded: {exc}") from exc


def ensure_private_key(path: str | os.PathLike, *, comment: str = "epoch-builder") -> str:
    """Create the application's ed25519 key (mode 0600) if missing; return its public key line.

    The line goes into each server's ``~/.ssh/authorized_keys``. An existing key with wider
    permissions is refused, not silently fixed.
    """
    target = Path(path)
    if not target.exists():
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        private = Ed25519PrivateKey.generate()
        pem = private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()
        )
        tmp = target.with_name(f".{target.name}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
        os.chmod(tmp, 0o600)  # the umask cannot widen it, but an existing tmp file could be wider
        os.replace(tmp, target)
    key = _load_private_key(target)
    line = f"{key.get_name()} {key.get_base64()} {comment}"
    public = target.with_name(target.name + ".pub")
    if not public.exists() or public.read_text(encoding="ascii").strip() != line:
        with atomic_open(public, "w", encoding="ascii") as handle:
            handle.write(line + "\n")
    return line


# --- connection ------------------------------------------------------------------------------


def connect(spec: ServerSpec, known_hosts_path: str | os.PathLike, *, timeout: float = DEFAULT_TIMEOUT) -> Connection:
    """Open an authenticated connection (key only, confirmed host key only).

    Raises `HostKeyUnknownError`, `HostKeyChangedError`, `PrivateKeyError`, or paramiko /
    socket errors when the server is unreachable or refuses the key. Close it after use
    (it is a context manager).
    """
    pkey = _load_private_key(spec.key_path)
    # Ignore ~/.ssh/config and Fabric's config files: the spec alone decides where we connect.
    config = Config(lazy=True, overrides={"load_ssh_configs": False, "run": {"hide": True, "in_stream": False}})
    conn = Connection(
        spec.host,
        user=spec.user,
        port=spec.port,
        config=config,
        connect_timeout=int(max(1, timeout)),
        connect_kwargs={
            "pkey": pkey,
            "look_for_keys": False,
            "allow_agent": False,
            "banner_timeout": timeout,
            "auth_timeout": timeout,
            "channel_timeout": timeout,
        },
    )
    client = paramiko.SSHClient()  # replaces Fabric's client, which auto-adds unknown keys
    if os.path.exists(known_hosts_path):
        client.load_host_keys(os.fspath(known_hosts_path))
    client.set_missing_host_key_policy(_ConfirmedKeyPolicy(spec, known_hosts_path))
    conn.client = client
    try:
        conn.open()
        seen = host_key_fingerprint(conn.transport.get_remote_server_key())
        if spec.known_host_fingerprint is not None and seen != spec.known_host_fingerprint:
            raise HostKeyChangedError(
                f"server {spec.name} presents {seen} (recorded in {known_hosts_path}), "
                f"not the confirmed {spec.known_host_fingerprint}",
                host=spec.host,
                port=spec.port,
                fingerprint=seen,
            )
    except paramiko.BadHostKeyException as exc:
        conn.close()
        raise HostKeyChangedError(
            f"server {spec.name} ({spec.host}:{spec.port}) presents {host_key_fingerprint(exc.key)}, "
            f"not the key recorded in {known_hosts_path}; all actions on it are stopped",
            host=spec.host,
            port=spec.port,
            fingerprint=host_key_fingerprint(exc.key),
        ) from None
    except BaseException:
        conn.close()
        raise
    conn.transport.set_keepalive(30)
    return conn
