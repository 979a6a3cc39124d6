"""Provisioning a scale-out worker over SSH (loopback sshd; its remote root is full of shell
syntax), then starting and stopping its qcluster by process group."""

from __future__ import annotations

import json
import secrets
import stat
import sys
from pathlib import Path

import environ
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from cluster.choices import JobStatus
from cluster.models import Job, Server, ServerAction
from cluster.services.jobs import job_enqueue
from cluster.services.provisioning import PID_FILE, worker_env_text
from core.errors import ApplicationError
from testing.scaleout import wait_for

pytestmark = pytest.mark.scaleout


def parse_env_file(path: Path, monkeypatch) -> dict:
    """Read a .env file with django-environ itself, into a dict instead of os.environ."""
    parsed: dict = {}
    monkeypatch.setattr(environ.Env, "ENVIRON", parsed)
    environ.Env.read_env(str(path))
    return parsed


def test_env_file_values_read_back_exactly(tmp_path, monkeypatch):
    values = {
        "EPOCA_VAR_DIR": "/srv/eb root; touch x; $(touch y) `z` 'q\" &/var",
        "DATABASE_URL": "postgres://eb:p#ss'w@db:5432/eb",
        "CENTRAL_TOKEN": "abc$def",
    }
    (tmp_path / ".env").write_text(worker_env_text(values))
    assert parse_env_file(tmp_path / ".env", monkeypatch) == values
    for bad in ("two\nlines", "$HOME", '"quoted"'):
        with pytest.raises(ApplicationError):
            worker_env_text({"X": bad})


def group_members(pgid: int) -> list[int]:
    """Live (non-zombie) local processes of a process group: the sshd server is this machine."""
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (FileNotFoundError, ProcessLookupError):
                continue
            if int(fields[2]) == pgid and fields[0] != "Z":
                members.append(int(entry.name))
    return members


@pytest.mark.django_db(transaction=True)
def test_provisioned_worker_runs_jobs_and_stops_by_process_group(ssh_servers, settings, tmp_path, monkeypatch):
    settings.SSH_DIR = tmp_path / "ssh"
    spec = ssh_servers.specs[0]  # remote root: spaces, quotes, ';', $(...) and backquotes
    server = Server.objects.create(
        name="worker-a",
        host=spec.host,
        port=spec.port,
        user=spec.user,
        key_path=spec.key_path,
        remote_root=spec.remote_root,
        host_key_fingerprint=spec.known_host_fingerprint,
        host_key_confirmed_at=timezone.now(),
    )
    token = secrets.token_hex(32)
    monkeypatch.setenv("CENTRAL_TOKEN", token)  # from the environment, never from the command line
    database_url = f"sqlite:///{connection.settings_dict['NAME']}"
    call_command(
        "provision_worker",
        "worker-a",
        "--central-url",
        "http://central.example:8000/",
        "--database-url",
        database_url,
        "--python",
        sys.executable,
        "--worker-processes",
        "1",
    )
    root = Path(spec.remote_root)
    assert (root / "code" / "manage.py").read_bytes() == Path("manage.py").read_bytes()
    env_file = root / "code" / ".env"
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    assert parse_env_file(env_file, monkeypatch) == {
        "DATABASE_URL": database_url,
        "CENTRAL_URL": "http://central.example:8000",
        "CENTRAL_TOKEN": token,
        "EPOCA_VAR_DIR": f"{root}/var",
        "EPOCHS_ROOT": f"{root}/var/epochs",
        "CANDLES_ROOT": f"{root}/var/candles",
        "SSH_DIR": f"{root}/var/ssh",
        "WORKER_PROCESSES": "1",
        "SECRET_KEY": settings.SECRET_KEY,
    }
    server.refresh_from_db()
    assert server.python == sys.executable

    call_command("worker_start", "worker-a")
    pgid = int(json.loads((root / PID_FILE).read_text())["process"]["pgid"])
    try:
        assert group_members(pgid)
        with pytest.raises(CommandError, match="runs already"):
            call_command("worker_start", "worker-a")
        # The remote worker reads its .env: it finds the shared database and runs a job.
        job = job_enqueue(kind="cluster.selfcheck", params={"steps": 2, "step_seconds": 0.1})
        log = root / "logs" / "qcluster.log"
        wait_for(
            lambda: Job.objects.get(pk=job.pk).status == JobStatus.SUCCEEDED,
            90,
            lambda: f"the remote worker to run the job; its log:\n{log.read_text() if log.exists() else ''}",
        )
        job.refresh_from_db()
        assert job.process_group == pgid
        workers = group_members(pgid)
        assert len(workers) >= 2  # qcluster and its worker processes, all in the one group
    finally:
        call_command("worker_stop", "worker-a", "--grace", "10")
    assert group_members(pgid) == []
    assert not (root / PID_FILE).exists()
    call_command("worker_stop", "worker-a")  # nothing left to stop: says so
    assert ServerAction.objects.filter(server=server, action="worker stop").first().output == "qcluster not running"
    # The token lives on the worker only.
    server.refresh_from_db()
    recorded = " ".join(ServerAction.objects.filter(server=server).values_list("output", flat=True))
    assert token not in recorded and token not in str(server.__dict__) and settings.SECRET_KEY not in recorded
    assert not ssh_servers.pwned_marker.exists()
