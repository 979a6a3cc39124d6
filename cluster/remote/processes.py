"""Detached processes on a server: start in their own session, watch, stop by process group.

A process is identified by the pid/pgid recorded at start, never by matching command lines.
Liveness ignores zombies: where the server's init does not reap orphans (some containers),
a finished group leaves zombies that ``kill -0`` would still report.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from fabric import Connection

from .commands import join, quote, remote_path, run_checked
from .errors import RemoteError

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
POLL_S = 0.2

# `alive G` succeeds while process group G has a member that is not a zombie.
_ALIVE_FN = (
    'alive() { kill -0 -- "-$1" 2>/dev/null || return 1; '
    "out=$(ps -A -o pgid= -o stat= 2>/dev/null) || return 0; "
    'printf "%s\\n" "$out" | awk -v g="$1" \'$1 == g && $2 !~ /^Z/ { found = 1 } END { exit !found }\'; }'
)


@dataclass(frozen=True)
class RemoteProcess:
    pid: int
    pgid: int
    log_path: str
    exit_path: str


@dataclass(frozen=True)
class LogChunk:
    text: str
    next_offset: int
    size: int
    restarted: bool  # the log shrank (rewritten): reading started again from byte 0


def _group(proc: RemoteProcess) -> int:
    # `kill -- -1` would signal every process of the user: never accept a pgid below 2.
    if not isinstance(proc.pgid, int) or proc.pgid < 2:
        raise RemoteError(f"refusing to signal process group {proc.pgid!r}")
    return proc.pgid


def start_detached(
    conn: Connection,
    remote_root: str,
    argv: Sequence[str],
    *,
    log_relpath: str,
    cwd_relpath: str = "",
    env: Mapping[str, str] | None = None,
) -> RemoteProcess:
    """Start ``argv`` below ``remote_root`` in a new session; stdout and stderr go to the log.

    The exit status is written next to the log (``<log>.exit``) when the command ends by
    itself. In a non-interactive shell the background child is not a group leader, so
    setsid(1) calls setsid(2) in place and ``$!`` is both the pid and the pgid.
    """
    if not argv:
        raise ValueError("argv must not be empty")
    for name in env or {}:
        if not _ENV_NAME.fullmatch(name):
            raise ValueError(f"invalid environment variable name {name!r}")
    command = ["env", *(f"{k}={v}" for k, v in (env or {}).items()), *argv] if env else list(argv)
    log = remote_path(remote_root, log_relpath)
    exit_path = log + ".exit"
    cwd = remote_path(remote_root, cwd_relpath) if cwd_relpath else remote_path(remote_root)
    inner = (
        f"{join(command)}; rc=$?; printf '%s\\n' \"$rc\" > {quote(exit_path + '.tmp')} "
        f"&& mv -f -- {quote(exit_path + '.tmp')} {quote(exit_path)}; exit $rc"
    )
    script = "\n".join(
        [
            _ALIVE_FN,
            f'mkdir -p -- {quote(cwd)} "$(dirname -- {quote(log)})" && cd -- {quote(cwd)} '
            f"&& rm -f -- {quote(exit_path)} || exit 1",
            f"setsid nohup sh -c {quote(inner)} > {quote(log)} 2>&1 < /dev/null &",
            "pid=$!",
            # Return once the new session exists, so an immediate liveness check is truthful.
            'i=0; while [ $i -lt 50 ] && kill -0 "$pid" 2>/dev/null && ! alive "$pid"; do',
            f"  sleep {POLL_S}; i=$((i+1))",
            "done",
            'echo "$pid"',
        ]
    )
    pid = int(run_checked(conn, script).strip().splitlines()[-1])
    return RemoteProcess(pid=pid, pgid=pid, log_path=log, exit_path=exit_path)


def is_alive(conn: Connection, proc: RemoteProcess) -> bool:
    """Whether any non-zombie process of the group still runs."""
    out = run_checked(conn, f"{_ALIVE_FN}\nif alive {_group(proc)}; then echo alive; else echo gone; fi")
    return out.strip() == "alive"


def exit_code(conn: Connection, proc: RemoteProcess) -> int | None:
    """The command's exit status, or None while it runs or when it was killed."""
    out = run_checked(conn, f"cat -- {quote(proc.exit_path)} 2>/dev/null || true").strip()
    return int(out) if out.lstrip("-").isdigit() else None


def kill_group(conn: Connection, proc: RemoteProcess, *, grace_s: float = 10.0) -> str:
    """SIGTERM the whole group, SIGKILL it after ``grace_s``; the process and its children.

    Returns ``"not running"``, ``"terminated"`` or ``"killed"``; raises `RemoteError` when
    members survive SIGKILL (e.g. stuck in uninterruptible I/O).
    """
    group = _group(proc)
    steps = max(1, int(grace_s / POLL_S))
    script = "\n".join(
        [
            _ALIVE_FN,
            f"g={group}",
            'alive "$g" || { echo "not running"; exit 0; }',
            'kill -TERM -- "-$g" 2>/dev/null',
            f'i=0; while alive "$g" && [ $i -lt {steps} ]; do sleep {POLL_S}; i=$((i+1)); done',
            'alive "$g" || { echo terminated; exit 0; }',
            'kill -KILL -- "-$g" 2>/dev/null',
            f'i=0; while alive "$g" && [ $i -lt 25 ]; do sleep {POLL_S}; i=$((i+1)); done',
            'alive "$g" && { echo survived; exit 0; }',
            "echo killed",
        ]
    )
    outcome = run_checked(conn, script).strip()
    if outcome == "survived":
        raise RemoteError(f"process group {group} on {conn.host} survived SIGKILL")
    return outcome


def tail_log(conn: Connection, remote_root: str, log_relpath: str, lines: int = 200) -> str:
    """The last ``lines`` lines of a log below the remote root ("" when it does not exist yet)."""
    path = remote_path(remote_root, log_relpath)
    return run_checked(conn, f"tail -n {int(lines)} -- {quote(path)} 2>/dev/null || true")


def read_log(
    conn: Connection, remote_root: str, log_relpath: str, offset: int = 0, *, max_bytes: int = 256 * 1024
) -> LogChunk:
    """Read a log from byte ``offset`` for live streaming; pass ``next_offset`` to the next call.

    A UTF-8 character cut by the chunk end is left for the next call.
    """
    path = remote_path(remote_root, log_relpath)
    sftp = conn.sftp()
    try:
        size = sftp.stat(path).st_size or 0
    except FileNotFoundError:
        return LogChunk("", 0, 0, restarted=offset > 0)
    restarted = size < offset
    start = 0 if restarted else offset
    with sftp.open(path, "rb") as handle:
        handle.seek(start)
        data = handle.read(min(max_bytes, size - start))
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    text = decoder.decode(data, final=False)
    pending = len(decoder.getstate()[0])
    return LogChunk(text, start + len(data) - pending, size, restarted)
