"""Errors raised by remote operations; every one names the server or path involved."""

from __future__ import annotations


class RemoteError(Exception):
    """Base class of every refusal or failure of a remote operation."""


class HostKeyError(RemoteError):
    """The server's host key cannot be trusted; no action may run on it."""

    def __init__(self, message: str, *, host: str, port: int, fingerprint: str | None = None):
        super().__init__(message)
        self.host = host
        self.port = port
        self.fingerprint = fingerprint


class HostKeyUnknownError(HostKeyError):
    """The server presented a key that no administrator has confirmed yet."""


class HostKeyChangedError(HostKeyError):
    """The server presented a key different from the confirmed one (possible impersonation)."""


class PrivateKeyError(RemoteError):
    """The client private key is missing, unreadable or too widely readable."""


class UnsafeRemotePathError(RemoteError, ValueError):
    """A remote path would leave the server's remote root or is malformed."""


class RemoteCommandError(RemoteError):
    """A remote command exited with a non-zero status."""

    def __init__(self, command: str, exit_code: int, stderr: str):
        super().__init__(f"remote command failed with exit code {exit_code}: {command}\n{stderr.strip()}")
        self.command = command
        self.exit_code = exit_code
        self.stderr = stderr


class SyncVerificationError(RemoteError):
    """A transferred file's sha256 differs from its source; it was not put in place."""

    def __init__(self, message: str, *, paths: list[str]):
        super().__init__(message)
        self.paths = paths
