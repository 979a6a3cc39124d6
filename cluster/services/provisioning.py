"""Scale-out worker machines over SSH: install our code and a virtualenv, write the worker's
settings, start and stop its django-q2 worker (``manage.py qcluster``) by process group.

The worker's settings live in ``<remote root>/code/.env`` (mode 0600), which the settings module
reads; the API token and this machine's SECRET_KEY (django-q2 signs queued messages with it, so
every machine must share it) go there only, never into the database or a recorded output.
The started worker's pid and process group are kept in ``<remote root>/var/qcluster.json``
together with the machine's boot id, so a stop after a reboot never signals a reused pid.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from fabric import Connection

from cluster.models import Server
from cluster.remote import sync
from cluster.remote.commands import join, quote, remote_path, run_checked
from cluster.remote.processes import RemoteProcess, is_alive, kill_group, start_detached
from cluster.remote.status import GpuStatus, read_status
from cluster.services.servers import CODE_DIR, _record, code_files, server_python, server_session, staged
from core.errors import ApplicationError

if TYPE_CHECKING:
    from django.contrib.auth.models import User

ENV_FILE = f"{CODE_DIR}/.env"
PID_FILE = "var/qcluster.json"
WORKER_LOG = "logs/qcluster.log"
VENV = "venv"
SERVER_REQUIREMENTS = "var/requirements.txt"
TF_CPU, TF_GPU = "tensorflow-cpu", "tensorflow[and-cuda]"
_TF_CPU_PIN = re.compile(r"^tensorflow-cpu==(?P<version>[^\s;#]+)", re.IGNORECASE)
_ENV_NAME = re.compile(r"[A-Z_][A-Z0-9_]*")


def worker_env_text(values: Mapping[str, str]) -> str:
    """A ``.env`` file that django-environ reads back to exactly ``values``.

    Each value is single-quoted (taken literally up to the last quote); values the reader
    would still alter (line breaks, a leading ``$`` it expands, double quotes around it)
    are refused.
    """
    lines = ["# Written by provision_worker: this machine's worker settings. Keep it private (0600)."]
    for name, value in values.items():
        if not _ENV_NAME.fullmatch(name):
            raise ApplicationError(f"invalid setting name {name!r}")
        value = str(value)
        if (
            any(c in value for c in "\n\r\x00")
            or value.startswith("$")
            or (len(value) > 1 and value[0] == value[-1] == '"')
        ):
            raise ApplicationError(
                f"the value of {name} cannot be written to a .env file (line break, leading $ or double quotes)"
            )
        lines.append(f"{name}='{value}'")
    return "\n".join(lines) + "\n"


def wants_gpu_build(gpus: Sequence[GpuStatus]) -> bool:
    """The status check lists GPUs only when ``nvidia-smi`` exists and answers."""
    return len(gpus) > 0


def server_requirements(requirements: str, *, gpu: bool) -> str:
    """``requirements.txt`` as a server installs it: on a server whose status check saw GPUs
    (``nvidia-smi`` answered), TensorFlow's GPU build of the same version replaces the CPU one."""
    if not gpu:
        return requirements
    lines = requirements.splitlines(keepends=True)
    pins = [i for i, line in enumerate(lines) if _TF_CPU_PIN.match(line)]
    if len(pins) != 1:
        raise ApplicationError(
            f"requirements.txt must pin {TF_CPU}==<version> on one line to install the GPU build; "
            f"found {len(pins)} such lines"
        )
    lines[pins[0]] = _TF_CPU_PIN.sub(lambda m: f"{TF_GPU}=={m['version']}", lines[pins[0]])
    return "".join(lines)


def _write_private(conn: Connection, path: str, text: str) -> None:
    """Write a 0600 file atomically over SFTP (created private, then renamed into place)."""
    sftp = conn.sftp()
    tmp = f"{path}.{secrets.token_hex(6)}.tmp"
    with sftp.open(tmp, "w") as handle:
        sftp.chmod(tmp, 0o600)
        handle.write(text.encode("utf-8"))
    sftp.posix_rename(tmp, path)


def _push_code(conn: Connection, root: str) -> sync.SyncReport:
    # Never send this machine's own .env: each worker keeps the one written for it.
    base = Path(settings.BASE_DIR)
    files = {rel: base / rel for rel in code_files(base) if rel != ".env"}
    with staged(files) as folder:
        return sync.push(conn, folder, root, CODE_DIR)


def worker_provision(
    *,
    server: Server,
    central_url: str,
    central_token: str,
    database_url: str,
    redis_url: str = "",
    python: str = "",
    worker_processes: int | None = None,
    user: User | None = None,
) -> str:
    """Install a scale-out worker on ``server``: our code in ``<root>/code``, a virtualenv in
    ``<root>/venv`` with the requirements (skipped when ``python`` names an existing interpreter,
    which the server row then keeps), and the worker's ``.env``. Without ``redis_url`` the workers
    share django-q2's ORM broker in the database. Returns the recorded summary."""
    if not (central_url and central_token and database_url):
        raise ApplicationError("A worker needs the central URL, an API token and the shared DATABASE_URL.")

    with server_session(server, action="provision worker", user=user) as (conn, root):
        lines = []
        report = _push_code(conn, root)
        lines.append(f"code: {len(report.transferred)} files sent and verified, {len(report.skipped)} unchanged")
        run_checked(conn, join(["mkdir", "-p", "--", remote_path(root, "var"), remote_path(root, "logs")]))
        if python:
            interpreter = python
            lines.append(f"python: {python} (no virtualenv, no package installation)")
        else:
            venv, interpreter = remote_path(root, VENV), remote_path(root, VENV, "bin/python")
            gpus = read_status(conn, root).gpus
            requirements = remote_path(root, SERVER_REQUIREMENTS)
            _write_private(
                conn,
                requirements,
                server_requirements(
                    (Path(settings.BASE_DIR) / "requirements.txt").read_text(), gpu=wants_gpu_build(gpus)
                ),
            )
            run_checked(conn, f"test -x {quote(interpreter)} || python3 -m venv {quote(venv)}")
            run_checked(conn, join([interpreter, "-m", "pip", "install", "--quiet", "--upgrade", "pip"]))
            run_checked(conn, join([interpreter, "-m", "pip", "install", "--quiet", "-r", requirements]))
            build = (
                f"GPU build of TensorFlow for {len(gpus)} GPU(s)" if gpus else "CPU build of TensorFlow (no GPU seen)"
            )
            lines.append(f"virtualenv {venv}: requirements installed, {build}")
        values = {
            "DATABASE_URL": database_url,
            "CENTRAL_URL": central_url.rstrip("/"),
            "CENTRAL_TOKEN": central_token,
            # django-q2 signs every queued message with SECRET_KEY: all machines share this one's.
            "SECRET_KEY": settings.SECRET_KEY,
            "EPOCA_VAR_DIR": remote_path(root, "var"),
            "EPOCHS_ROOT": remote_path(root, "var/epochs"),
            "CANDLES_ROOT": remote_path(root, "var/candles"),
            "SSH_DIR": remote_path(root, "var/ssh"),
        }
        if redis_url:
            values["REDIS_URL"] = redis_url
        if worker_processes:
            values["WORKER_PROCESSES"] = str(int(worker_processes))
        _write_private(conn, remote_path(root, ENV_FILE), worker_env_text(values))
        lines.append(f"settings: {remote_path(root, ENV_FILE)} (0600): {', '.join(values)}")
        check = run_checked(
            conn, f"cd {quote(remote_path(root, CODE_DIR))} && {join([interpreter, 'manage.py', 'check'])}"
        )
        lines.append(check.strip().splitlines()[-1] if check.strip() else "manage.py check passed")
    Server.objects.filter(pk=server.pk).update(python=python)
    server.python = python
    summary = "\n".join(lines)
    _record(server, "provision worker", user, True, summary)
    return summary


def _boot_id(conn: Connection) -> str:
    return run_checked(conn, "cat /proc/sys/kernel/random/boot_id 2>/dev/null || true").strip()


def _recorded(conn: Connection, root: str) -> RemoteProcess | None:
    """The worker started earlier on this boot of the server, if any."""
    raw = run_checked(conn, f"cat -- {quote(remote_path(root, PID_FILE))} 2>/dev/null || true").strip()
    if not raw:
        return None
    info = json.loads(raw)
    if info.get("boot_id") != _boot_id(conn):
        return None  # the machine rebooted since: that pid means nothing now
    return RemoteProcess(**info["process"])


def worker_start(*, server: Server, user: User | None = None) -> dict:
    """Start the server's worker detached, in its own process group; refuse a second one."""
    with server_session(server, action="worker start", user=user) as (conn, root):
        running = _recorded(conn, root)
        if running is not None and is_alive(conn, running):
            raise ApplicationError(f"the worker on {server.name} runs already (process group {running.pgid}).")
        proc = start_detached(
            conn,
            root,
            [server_python(server, root), "manage.py", "qcluster"],
            log_relpath=WORKER_LOG,
            cwd_relpath=CODE_DIR,
            env={"PYTHONUNBUFFERED": "1"},
        )
        info = {"process": asdict(proc), "boot_id": _boot_id(conn)}
        _write_private(conn, remote_path(root, PID_FILE), json.dumps(info))
    _record(
        server,
        "worker start",
        user,
        True,
        f"qcluster started: pid {proc.pid}, process group {proc.pgid}, log {proc.log_path}",
    )
    return asdict(proc)


def worker_stop(*, server: Server, user: User | None = None, grace_s: float = 20.0) -> str:
    """Stop the worker by its process group (SIGTERM, then SIGKILL after ``grace_s``)."""
    with server_session(server, action="worker stop", user=user) as (conn, root):
        proc = _recorded(conn, root)
        outcome = "not running" if proc is None else kill_group(conn, proc, grace_s=grace_s)
        run_checked(conn, f"rm -f -- {quote(remote_path(root, PID_FILE))}")
    _record(server, "worker stop", user, True, f"qcluster {outcome}")
    return outcome
