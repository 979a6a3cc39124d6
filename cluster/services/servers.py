"""Actions on cluster servers over SSH: host keys, status, power, kill, key install, checks,
push and pull.

Every action connects with the admin-confirmed host key only (a changed key stops them all)
and leaves a `ServerAction` row saying who ran it and how it ended.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from datetime import datetime
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Mapping, Sequence

import paramiko
from django.conf import settings
from django.db.models import Count, F, Q
from django.utils import timezone
from fabric import Connection

from cluster.choices import ACTIVE_STATUSES, JobStatus
from cluster.models import Job, Server, ServerAction
from cluster.remote import sync
from cluster.remote.commands import expand_remote_root, join, mkdir_p, quote, remote_path, run_checked
from cluster.remote.connection import (
    ServerSpec, connect, ensure_private_key, fetch_host_fingerprint, trust_host_key,
)
from cluster.remote.errors import HostKeyChangedError, HostKeyError, PrivateKeyError, RemoteCommandError, RemoteError
from cluster.remote.processes import RemoteProcess, is_alive, kill_group
from cluster.remote.status import read_status
from core.errors import ApplicationError

Progress = Callable[[int, int, str], None]

# Errors that mean "cannot reach the server now", as opposed to a refusal that needs an admin.
UNREACHABLE = (OSError, EOFError, paramiko.SSHException)
CODE_EXCLUDES = (".venv", "var", ".git", "__pycache__", "test-output", ".pytest_cache", ".hypothesis", "staticfiles", "*.pyc", ".env")
CODE_DIR = "code"
PUSH_TARGETS = ("root", "code", "configuration", "candlesticks", "regression_training_configs", "prediction_models")
PULL_TARGETS = ("trained_regressions", "profitable_configs")
EPOCH_FILES = ("epoch.json", "epoch_settings.json")
# Folders an epoch needs on a server before its jobs run (the original's push_epoch_builder).
REMOTE_EPOCH_DIRS = (
    "regression_training_configs", "regression_batched_certificates", "regressions",
    "prediction_models/assets", "prediction_models/configs", "prediction_models/profitable_configs",
)


class ServerUnreachableError(ApplicationError):
    """The server did not answer (down, no route, refused login)."""


# --- keys and connections ---------------------------------------------------------------------

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
        name=server.name, host=server.host, port=server.port, user=server.user, key_path=key,
        remote_root=server.remote_root,
        known_host_fingerprint=server.host_key_fingerprint if server.host_key_confirmed else None,
    )


def server_connect(server: Server, *, key_path: str | None = None, timeout: float = 10.0) -> Connection:
    """An authenticated connection; raises the remote layer's errors unchanged."""
    return connect(server_spec(server, key_path=key_path), known_hosts_path(), timeout=timeout)


def server_python(server: Server, root: str) -> str:
    return server.python or remote_path(root, "venv/bin/python")


def _record(server: Server, action: str, user, ok: bool, output: str) -> ServerAction:
    return ServerAction.objects.create(
        server=server, action=action, user=user if getattr(user, "is_authenticated", False) else None,
        ok=ok, output=output[-20000:],
    )


def _mark_offline(server: Server, error: str, **extra) -> None:
    status = {"online": False, "error": error, "checked_at": timezone.now().isoformat(), **extra}
    Server.objects.filter(pk=server.pk).update(last_status=status)
    server.last_status = status


def refusal(server: Server, action: str, user, exc: BaseException) -> ApplicationError:
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
def server_session(server: Server, *, action: str, user=None, key_path: str | None = None) -> Iterator[tuple[Connection, str]]:
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


def _run_action(server: Server, action: str, user, work: Callable[[Connection, str], str], **connect_kwargs) -> ServerAction:
    with server_session(server, action=action, user=user, **connect_kwargs) as (conn, root):
        output = work(conn, root)
    return _record(server, action, user, True, output)


# --- host keys --------------------------------------------------------------------------------

def server_host_key_fetch(*, server: Server, user=None) -> str:
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


def server_host_key_confirm(*, server: Server, fingerprint: str, user) -> Server:
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
        host_key_fingerprint=fingerprint, host_key_confirmed_by=user, host_key_confirmed_at=now, last_status={},
    )
    server.refresh_from_db()
    _record(server, "confirm host key", user, True, f"confirmed {fingerprint}")
    return server


# --- status, details, log ---------------------------------------------------------------------

def _running_jobs(server: Server):
    return Job.objects.filter(server=server, status=JobStatus.RUNNING, waiting=False).order_by("id")


def remote_process_of(job: Job, server: Server) -> RemoteProcess | None:
    """The remote process recorded on ``job`` for ``server`` (see remote_jobs.run_remote)."""
    info = (job.state or {}).get("remote") or {}
    if info.get("server") != server.pk:
        return None
    return RemoteProcess(pid=info["pid"], pgid=info["pgid"], log_path=info["log_path"], exit_path=info["exit_path"])


def server_status_refresh(*, server: Server, user=None, record: bool = False) -> dict:
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
                status["jobs"].append({
                    "id": job.pk, "kind": job.kind, "percent": job.percent, "message": job.progress_message,
                    "pid": proc.pid if proc else None, "alive": is_alive(conn, proc) if proc else None,
                })
    except (HostKeyError, PrivateKeyError) as exc:
        raise refusal(server, "status", user, exc) from exc
    except (RemoteCommandError, *UNREACHABLE) as exc:
        status = {"online": False, "error": f"{type(exc).__name__}: {exc}"}
        status["jobs"] = [{"id": j.pk, "kind": j.kind, "percent": j.percent, "message": j.progress_message} for j in jobs]
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
    gib = 1024 ** 3
    memory = (
        f"{status['memory_available_bytes'] / gib:.1f} of {status['memory_total_bytes'] / gib:.1f} GiB free"
        if status.get("memory_total_bytes") else "memory unknown"
    )
    gpus = "; ".join(f"GPU{g['index']} {g['name']} {g['utilization_percent']}%" for g in status.get("gpus", ())) or "no GPU"
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
        "ssh", "-i", spec.key_path, "-p", str(server.port),
        "-o", f"UserKnownHostsFile={known_hosts_path()}", "-o", "StrictHostKeyChecking=yes",
        f"{server.user}@{server.host}",
    ]
    return {
        "command": join(command), "key_path": spec.key_path, "known_hosts": str(known_hosts_path()),
        "remote_root": server.remote_root, "host_key_fingerprint": server.host_key_fingerprint,
        "host_key_confirmed": server.host_key_confirmed,
    }


def server_log_chunk(*, server: Server, offset: int = 0, job: Job | None = None) -> dict:
    """Part of a job's remote log from byte ``offset`` (pass ``next_offset`` back next time).

    Without ``job``: the job the server runs, else the latest job that ran there.
    """
    from cluster.remote.processes import read_log

    if job is None:
        job = _running_jobs(server).filter(state__has_key="remote").last() or (
            Job.objects.filter(server=server, state__has_key="remote").order_by("-started", "-id").first()
        )
    info = (job.state or {}).get("remote", {}) if job else {}
    if not job or info.get("server") != server.pk:
        return {"job": job.pk if job else None, "text": "", "next_offset": 0, "size": 0, "restarted": False}
    with server_session(server, action="log") as (conn, root):
        chunk = read_log(conn, root, info["log"], max(0, int(offset)))
    return {"job": job.pk, "text": chunk.text, "next_offset": chunk.next_offset, "size": chunk.size, "restarted": chunk.restarted}


# --- power, kill, keys ------------------------------------------------------------------------

def server_power(*, server: Server, action: str, user) -> ServerAction:
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


def servers_power_all(*, action: str, user) -> list[dict]:
    """Reboot or shut down every confirmed cluster server; one server's failure stops nothing."""
    results = []
    for server in Server.objects.filter(is_cluster_worker=True).order_by("name"):
        try:
            row = server_power(server=server, action=action, user=user)
            results.append({"server": server.name, "ok": True, "output": row.output})
        except ApplicationError as exc:
            results.append({"server": server.name, "ok": False, "output": exc.message})
    return results


def server_kill_job(*, server: Server, user, job: Job | None = None) -> ServerAction:
    """Stop the job(s) the server runs: cancel the job rows, then kill each recorded remote
    process group (never a process found by matching command lines)."""
    from cluster.services.jobs import job_cancel

    jobs = [job] if job is not None else list(_running_jobs(server))
    targets = [(j, remote_process_of(j, server)) for j in jobs]
    targets = [(j, p) for j, p in targets if p is not None]
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


def _authorized_keys_target() -> str:
    """Shell word for the authorized_keys file: relative paths are below the login's $HOME."""
    path = getattr(settings, "SSH_AUTHORIZED_KEYS_FILE", ".ssh/authorized_keys")
    return quote(path) if path.startswith("/") else f'"$HOME"/{quote(path)}'


def server_install_key(*, server: Server, user, key_path: str) -> ServerAction:
    """Append the app's public key to the server's authorized_keys (once), logging in with
    ``key_path`` this one time; then switch the server to the app's key if that key works."""
    line = app_public_key()
    target = _authorized_keys_target()
    script = "\n".join([
        "set -e", "umask 077", f"f={target}",
        'mkdir -p -- "$(dirname -- "$f")"', 'touch -- "$f"',
        f'if grep -qxF -- {quote(line)} "$f"; then echo "already installed"; '
        f'else printf "%s\\n" {quote(line)} >> "$f"; echo installed; fi',
    ])

    def work(conn: Connection, root: str) -> str:
        return run_checked(conn, script).strip()

    row = _run_action(server, "install key", user, work, key_path=key_path)
    switched = ""
    if server.key_path:
        try:
            with contextlib.closing(server_connect(server, key_path=str(app_key_path()))) as conn:
                run_checked(conn, "true")
        except (RemoteError, *UNREACHABLE) as exc:
            switched = f"; the app key does not log in yet ({type(exc).__name__}: {exc}), {server.key_path} stays in use"
        else:
            Server.objects.filter(pk=server.pk).update(key_path="")
            switched = f"; the server now uses the app key instead of {server.key_path}"
            server.key_path = ""
    row.output += switched
    row.save(update_fields=["output"])
    return row


# --- scheduling -------------------------------------------------------------------------------

def server_reachable(server: Server, *, timeout: float = 5.0) -> bool:
    try:
        with contextlib.closing(server_connect(server, timeout=timeout)) as conn:
            run_checked(conn, "true", timeout=timeout)
        return True
    except (RemoteError, *UNREACHABLE):
        return False


def server_pick(*, exclude: Sequence[int] = ()) -> Server | None:
    """An online cluster server with a confirmed host key and a free slot (fewest running jobs
    first); online is checked now, not read from the stored status."""
    candidates = (
        Server.objects.filter(is_cluster_worker=True, host_key_confirmed_at__isnull=False)
        .exclude(host_key_fingerprint="").exclude(pk__in=list(exclude))
        .annotate(running=Count("jobs", filter=Q(jobs__status=JobStatus.RUNNING, jobs__waiting=False)))
        .filter(running__lt=F("max_jobs")).order_by("running", "name")
    )
    for server in candidates:
        if server_reachable(server):
            return server
    return None


# --- checks -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class ServerCheck:
    """A job kind that proves a server can run our work (the regressions app adds its own)."""

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
    "selfcheck", kind="cluster.selfcheck", label="Worker self-check in a remote process",
    params={"steps": 3, "step_seconds": 0.5, "child_process": True},
)


def server_check_run(*, server: Server, user, check: str = "selfcheck", options: Mapping | None = None) -> Job:
    """Queue a check job that runs on the server."""
    from cluster.services.jobs import job_enqueue

    if check not in _CHECKS:
        raise ApplicationError(f"unknown check {check!r}; known: {', '.join(_CHECKS) or 'none'}")
    spec = _CHECKS[check]
    job = job_enqueue(kind=spec.kind, params={**spec.params, **(options or {})}, user=user, server=server, target=server)
    _record(server, f"check {check}", user, True, f"queued job #{job.pk} ({spec.label})")
    return job


# --- push and pull ----------------------------------------------------------------------------

def code_files(base: str | os.PathLike | None = None) -> list[str]:
    """The repository's source files: git's tracked and not-ignored files, else a filtered walk."""
    base = Path(base or settings.BASE_DIR)
    try:
        listing = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=base, capture_output=True, check=True, timeout=60,
        ).stdout.decode("utf-8").split("\0")
    except (OSError, subprocess.SubprocessError):
        listing = [rel for rel in sync.local_manifest(base, exclude=CODE_EXCLUDES)]
    files = {rel for rel in listing if rel and not sync._excluded(rel, CODE_EXCLUDES)}
    return sorted(rel for rel in files if (base / rel).is_file() and not (base / rel).is_symlink())


@contextlib.contextmanager
def staged(files: Mapping[str, Path]) -> Iterator[Path]:
    """A temporary folder holding exactly ``files`` (relative name -> source), hard-linked
    where possible, so a sync can push a chosen set of files."""
    tmp_root = Path(settings.VAR_DIR) / "tmp"
    tmp_root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="stage-", dir=tmp_root) as folder:
        for rel, source in files.items():
            target = Path(folder, rel)
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(source, target)
            except OSError:
                shutil.copyfile(source, target)
        yield Path(folder)


def push_code(conn: Connection, root: str, *, progress: Progress | None = None, top_level_only: bool = False) -> sync.SyncReport:
    """Send the repository's source files that changed to ``<root>/code``."""
    base = Path(settings.BASE_DIR)
    files = {rel: base / rel for rel in code_files(base) if not top_level_only or "/" not in rel}
    with staged(files) as folder:
        return sync.push(conn, folder, root, CODE_DIR, progress=progress)


def _epoch_dir(epoch_id: str | None) -> Path:
    from epochs.services.paths import epoch_dir

    if not epoch_id:
        raise ApplicationError("This push or pull needs an epoch.")
    folder = epoch_dir(epoch_id)
    if not folder.is_dir():
        raise ApplicationError(f"Epoch {epoch_id} has no folder on this machine.")
    return folder


def remote_epoch_rel(epoch_id: str, *parts: str) -> str:
    return "/".join(("epochs", epoch_id, *parts))


def _expand(what: Sequence[str], allowed: Sequence[str]) -> list[str]:
    chosen = list(allowed) if "everything" in what or "all" in what else list(dict.fromkeys(what))
    unknown = [w for w in chosen if w not in allowed]
    if unknown or not chosen:
        raise ApplicationError(f"unknown target(s) {unknown or what}; choose from {', '.join(allowed)} or everything")
    return chosen


def _merge(total: dict, name: str, report: sync.SyncReport) -> None:
    total[name] = {
        "transferred": len(report.transferred), "skipped": len(report.skipped),
        "bytes": report.bytes_transferred, "verified": len(report.verified),
        "deleted_remote": len(report.deleted_remote),
    }


def server_push(*, server: Server, what: Sequence[str], epoch_id: str | None = None, user=None,
                progress: Progress | None = None) -> dict:
    """Push the chosen targets; only changed files travel, each verified by sha256 on arrival."""
    targets = _expand(what, PUSH_TARGETS)
    needs_epoch = [t for t in targets if t not in ("root", "code")]
    folder = _epoch_dir(epoch_id) if needs_epoch else None
    summary: dict = {}

    def step(name: str) -> Progress | None:
        return (lambda d, t, m: progress(targets.index(name), len(targets), f"{name}: {m}")) if progress else None

    def work(conn: Connection, root: str) -> str:
        if folder is not None:
            mkdir_p(conn, [remote_path(root, remote_epoch_rel(epoch_id, d)) for d in REMOTE_EPOCH_DIRS])
        for name in targets:
            if name in ("root", "code"):
                report = push_code(conn, root, progress=step(name), top_level_only=name == "root")
            elif name == "configuration":
                files = {f: folder / f for f in EPOCH_FILES if (folder / f).is_file()}
                with staged(files) as stage:
                    report = sync.push(conn, stage, root, remote_epoch_rel(epoch_id), progress=step(name))
            elif name == "prediction_models":
                report = sync.SyncReport()
                for sub in ("assets", "configs"):
                    part = sync.push(conn, folder / "prediction_models" / sub, root,
                                     remote_epoch_rel(epoch_id, "prediction_models", sub), progress=step(name))
                    report.transferred += part.transferred
                    report.skipped += part.skipped
                    report.verified += part.verified
                    report.bytes_transferred += part.bytes_transferred
            else:
                report = sync.push(conn, folder / name, root, remote_epoch_rel(epoch_id, name), progress=step(name))
            _merge(summary, name, report)
        return _transfer_text("push", summary)

    _run_action(server, "push", user, work)
    if progress:
        progress(len(targets), len(targets), "pushed")
    return summary


def _transfer_text(verb: str, summary: dict) -> str:
    return "\n".join(
        f"{verb} {name}: {s['transferred']} sent/received and verified, {s['skipped']} unchanged, {s['bytes']} bytes"
        + (f", {s['deleted_remote']} removed from the server" if s["deleted_remote"] else "")
        for name, s in summary.items()
    )


def server_pull(*, server: Server, what: Sequence[str], epoch_id: str, delete_remote: bool = False, user=None,
                progress: Progress | None = None) -> dict:
    """Pull trained regressions (with batched certificates) and/or profitable configs.

    Each file is verified before it takes its final local name; with ``delete_remote`` the
    server's copies are removed only after every file was verified.
    """
    targets = _expand(what, PULL_TARGETS)
    folder = _epoch_dir(epoch_id)
    plan = {
        "trained_regressions": ("regression_batched_certificates", "regressions"),
        "profitable_configs": ("prediction_models/profitable_configs",),
    }
    summary: dict = {}

    def work(conn: Connection, root: str) -> str:
        for name in targets:
            for sub in plan[name]:
                report = sync.pull(
                    conn, root, remote_epoch_rel(epoch_id, sub), folder / sub,
                    delete_remote_after_verified=delete_remote,
                    progress=(lambda d, t, m: progress(targets.index(name), len(targets), f"{name}: {m}")) if progress else None,
                )
                _merge(summary, sub, report)
        return _transfer_text("pull", summary)

    _run_action(server, "pull", user, work)
    if progress:
        progress(len(targets), len(targets), "pulled")
    return summary


def server_push_enqueue(*, server: Server, what: Sequence[str], epoch_id: str | None = None, user=None,
                        inline: bool = False) -> Job:
    """A ``cluster.push`` job for the server (one at a time per server)."""
    from cluster.services.jobs import job_enqueue

    _expand(what, PUSH_TARGETS)
    return job_enqueue(kind="cluster.push", params={"what": list(what), "epoch": epoch_id or ""}, user=user,
                       server=server, target=server, dedup_key=f"server-{server.pk}", inline=inline)


def server_pull_enqueue(*, server: Server, what: Sequence[str], epoch_id: str, delete_remote: bool = False,
                        user=None, inline: bool = False) -> Job:
    """A ``cluster.pull`` job for the server (one at a time per server)."""
    from cluster.services.jobs import job_enqueue

    _expand(what, PULL_TARGETS)
    return job_enqueue(kind="cluster.pull", params={"what": list(what), "epoch": epoch_id, "delete_remote": delete_remote},
                       user=user, server=server, target=server, dedup_key=f"server-{server.pk}", inline=inline)
