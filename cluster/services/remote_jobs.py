"""Run a job's heavy work on a cluster server: push its inputs and our code, start it detached,
follow its JSON-lines log (the protocol of `cluster.jobs.process`), pull its outputs back.

The remote process is recorded in the job's state before anything waits on it, so a re-run of
the job (its worker died) re-attaches to it instead of starting a second one; a job whose
server stopped answering is queued again and moves to another server.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from django.conf import settings
from django.utils import timezone
from fabric import Connection

from cluster.jobs.context import JobCancelled, JobContext, JobFailed
from cluster.jobs.noise import StartupNoise
from cluster.jobs.process import handle_line
from cluster.models import Job, Server
from cluster.remote import sync
from cluster.remote.commands import expand_remote_root, remote_path
from cluster.remote.errors import HostKeyError, PrivateKeyError, RemoteCommandError
from cluster.remote.processes import RemoteProcess, exit_code, is_alive, kill_group, read_log, start_detached
from cluster.services.jobs import job_requeue
from cluster.services.servers import (
    CODE_DIR,
    UNREACHABLE,
    push_code,
    refusal,
    server_connect,
    server_pick,
    server_python,
)

if TYPE_CHECKING:
    from typing import Any

T = TypeVar("T")

PYTHON = "python"  # argv[0] placeholder: the server's interpreter (Server.python)
SETTINGS_MODULE = "epoca_builder.settings"


class ServerLostError(JobFailed):
    """The server stopped answering mid-job; the job was queued again to move elsewhere."""


def _poll_seconds() -> float:
    return float(getattr(settings, "CLUSTER_REMOTE_POLL_SECONDS", 1.0))


def _lost_after_seconds() -> float:
    return float(getattr(settings, "CLUSTER_SERVER_LOST_SECONDS", 60.0))


def remote_env(root: str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Settings for our code on a server that has no database: everything below the root."""
    return {
        "DJANGO_SETTINGS_MODULE": SETTINGS_MODULE,
        "EPOCA_VAR_DIR": remote_path(root, "var"),
        "EPOCHS_ROOT": remote_path(root, "epochs"),
        "PYTHONPATH": remote_path(root, CODE_DIR),
        "PYTHONUNBUFFERED": "1",
        **(extra or {}),
    }


@dataclass(frozen=True)
class RemoteRun:
    """What `run_remote` needs of its job, and no more: the row (its server, state, owner), the
    claim token, and the callables that report, persist and check for a cancel."""

    job: Job
    token: str
    log: Callable[[str], None]
    progress: Callable[..., None]
    save_state: Callable[..., None]
    check_cancelled: Callable[[], None]
    flush: Callable[[], None]

    @property
    def state(self) -> dict:
        return self.job.state

    @classmethod
    def of(cls, ctx: JobContext) -> RemoteRun:
        """The handler's job, as `run_remote` sees it."""
        return cls(
            job=ctx.job,
            token=ctx.token,
            log=ctx.log,
            progress=ctx.progress,
            save_state=ctx.save_state,
            check_cancelled=ctx.check_cancelled,
            flush=ctx.flush,
        )


class _Link:
    """One server's connection, reopened after a drop; gives up after the lost-server delay."""

    def __init__(self, server: Server, conn: Connection):
        self.server = server
        self.conn: Connection | None = conn

    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        deadline = None
        while True:
            try:
                if self.conn is None:
                    self.conn = server_connect(self.server)
                return fn(self.conn, *args, **kwargs)
            except (HostKeyError, PrivateKeyError):
                raise
            except (RemoteCommandError, *UNREACHABLE) as exc:
                if isinstance(exc, RemoteCommandError) and exc.exit_code != -1:
                    raise  # the command failed: not a connection problem
                self.close()
                now = time.monotonic()
                deadline = deadline or now + _lost_after_seconds()
                if now >= deadline:
                    raise ServerLostError(
                        f"server {self.server.name} stopped answering: {type(exc).__name__}: {exc}"
                    ) from exc
                time.sleep(min(1.0, _poll_seconds()))

    def close(self) -> None:
        if self.conn is not None:
            try:
                self.conn.close()
            except Exception:  # already broken
                pass
            self.conn = None


def run_remote(
    run: RemoteRun,
    server: Server | None = None,
    *,
    argv: Sequence[str],
    push: Sequence[tuple] = (),
    pull: Sequence[tuple[str, str | Path]] = (),
    env: Mapping[str, str] | None = None,
) -> dict:
    """Run ``argv`` on ``server`` (default: the job's) and return its result event.

    ``argv[0] == "python"`` stands for the server's interpreter; the command runs in
    ``<remote_root>/code`` (our pushed code). ``push`` lists (local folder, folder relative to
    the remote root[, excluded sub-paths]) sent before the start, ``pull`` (remote folder, local folder) fetched and
    verified after a successful end. If the server does not answer at the start, another
    server is picked and the job moves there.
    """
    server = server or run.job.server
    if server is None:
        raise JobFailed("run_remote needs a server: the job has none")
    link = _open(run, server)
    try:
        root = link.call(expand_remote_root, link.server.remote_root)
        proc, offset = _reattach(run, link, root)
        if proc is None:
            proc = _start(run, link, root, argv, push, env)
            offset = 0
        try:
            result = _follow(run, link, root, proc, offset)
        except JobCancelled:
            if Job.objects.filter(pk=run.job.pk, cancel_requested=True).exists():
                run.log(f"stopping process group {proc.pgid} on {link.server.name}: {link.call(kill_group, proc)}")
            raise
        except ServerLostError:
            raise
        except JobFailed:
            link.call(kill_group, proc)
            raise
        for remote_rel, local_dir in pull:
            report = link.call(sync.pull, root, remote_rel, local_dir)
            run.log(f"pulled {remote_rel}: {len(report.verified)} verified, {len(report.skipped)} unchanged")
        return result
    except ServerLostError as exc:
        _hand_back(run, str(exc))
        raise
    except (HostKeyError, PrivateKeyError) as exc:
        raise JobFailed(refusal(link.server, f"job #{run.job.pk}", run.job.created_by, exc).message) from exc
    finally:
        link.close()


def _open(run: RemoteRun, server: Server) -> _Link:
    """Connect to the job's server, or move the job to another one when it does not answer."""
    try:
        return _Link(server, server_connect(server))
    except (HostKeyError, PrivateKeyError) as exc:
        raise JobFailed(refusal(server, f"job #{run.job.pk}", run.job.created_by, exc).message) from exc
    except UNREACHABLE as exc:
        run.log(f"server {server.name} does not answer ({type(exc).__name__}: {exc}); looking for another")
    other = server_pick(exclude=[server.pk])
    if other is None:
        raise JobFailed(f"server {server.name} does not answer and no other cluster server has a free slot")
    Job.objects.filter(pk=run.job.pk).update(server=other)
    run.job.server = other
    run.log(f"moved from server {server.name} to {other.name}")
    return _Link(other, server_connect(other))


def _process(info: dict) -> RemoteProcess:
    return RemoteProcess(pid=info["pid"], pgid=info["pgid"], log_path=info["log_path"], exit_path=info["exit_path"])


def _reattach(run: RemoteRun, link: _Link, root: str) -> tuple[RemoteProcess | None, int]:
    """The previous attempt's process on this server, if it still runs or ended unread."""
    info = run.state.get("remote") or {}
    if info.get("server") != link.server.pk or info.get("ended"):
        return None, 0
    proc = _process(info)
    alive = link.call(is_alive, proc)
    if not alive and link.call(exit_code, proc) is None:
        return None, 0  # it was killed: start again
    offset = int(info.get("offset", 0))
    run.log(
        f"re-attached to process {proc.pid} on {link.server.name} ({'running' if alive else 'ended'}), log from byte {offset}"
    )
    return proc, offset


def _start(
    run: RemoteRun, link: _Link, root: str, argv: Sequence[str], push: Sequence[tuple], env: Mapping[str, str] | None
) -> RemoteProcess:
    server = link.server
    report = link.call(push_code, root)
    run.log(
        f"code on {server.name}: {len(report.transferred)} files sent and verified, {len(report.skipped)} unchanged"
    )
    for local_dir, remote_rel, *exclude in push:
        part = link.call(sync.push, local_dir, root, remote_rel, exclude=exclude[0] if exclude else ())
        run.log(f"pushed {remote_rel}: {len(part.transferred)} sent and verified, {len(part.skipped)} unchanged")
    command = [server_python(server, root) if i == 0 and arg == PYTHON else str(arg) for i, arg in enumerate(argv)]
    log_rel = f"logs/job-{run.job.pk}.log"
    proc = start_detached(
        link.conn, root, command, log_relpath=log_rel, cwd_relpath=CODE_DIR, env=remote_env(root, env)
    )
    # Recorded before any wait, so a re-run finds it (and a kill knows its group).
    run.save_state(
        remote={
            "server": server.pk,
            "server_name": server.name,
            "log": log_rel,
            "offset": 0,
            "started": timezone.now().isoformat(),
            "ended": False,
            **asdict(proc),
        }
    )
    run.log(f"started process {proc.pid} on {server.name}: {' '.join(command[1:])}")
    return proc


def _follow(run: RemoteRun, link: _Link, root: str, proc: RemoteProcess, offset: int) -> dict:
    """Forward the log's events to the job until the process ends; return the result event."""
    info = run.state["remote"]
    result: dict | None = None
    consumed = offset
    noise = StartupNoise()
    while True:
        run.check_cancelled()
        alive = link.call(is_alive, proc)
        while True:
            chunk = link.call(read_log, root, info["log"], consumed)
            head, newline, partial = chunk.text.rpartition("\n")
            if not newline and chunk.next_offset < chunk.size:
                head, partial = chunk.text, ""  # a line longer than one read: take it as it is
            position = chunk.next_offset - len(chunk.text.encode("utf-8"))
            for line in head.split("\n") if newline or head else []:
                position += len(line.encode("utf-8")) + 1
                result = _forward(run, line, position, info, noise) or result
            consumed = chunk.next_offset - len(partial.encode("utf-8"))
            if chunk.next_offset >= chunk.size:
                break
        if not alive:
            if partial:
                run.log(partial)
            break
        time.sleep(_poll_seconds())
    code = link.call(exit_code, proc)
    run.save_state(remote={**run.state["remote"], "offset": chunk.next_offset, "ended": True})
    run.check_cancelled()
    if code is None:
        if Job.objects.filter(pk=run.job.pk, cancel_requested=True).exists():
            raise JobCancelled("cancelled on request")
        raise JobFailed(f"the process on {link.server.name} was killed", retryable=True)
    if code != 0:
        raise JobFailed(f"the process on {link.server.name} exited with status {code}", retryable=True)
    if result is None:
        raise JobFailed(f"the process on {link.server.name} ended without a result", retryable=True)
    return result


def _forward(run: RemoteRun, line: str, position: int, info: dict, noise: StartupNoise) -> dict | None:
    """One log line, handled as `cluster.jobs.process.run_child` does."""

    def save_state(**state: Any) -> None:
        # The log offset travels with the state, so a re-attach replays nothing already kept.
        run.save_state(**state, remote={**run.state.get("remote", info), "offset": position})

    return handle_line(run, line, None, save_state=save_state, noise=noise)


def _hand_back(run: RemoteRun, reason: str) -> None:
    """Queue the job again (as the reaper would) so its next attempt moves to another server."""
    run.log(reason)
    run.flush()
    job = Job.objects.get(pk=run.job.pk)
    if str(job.claim_token) == str(run.token):
        job_requeue(job=job, reason=reason)


__all__ = ["PYTHON", "RemoteRun", "ServerLostError", "remote_env", "run_remote"]
