"""Server actions against the loopback sshd pair: host keys, status, power, key install, pick."""

import hashlib
import os
import shlex
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command

from cluster.choices import JobStatus
from cluster.models import Job, ServerAction
from cluster.remote.connection import connect
from cluster.services import servers as svc
from core.errors import ApplicationError
from epoca_builder import settings as production
from testing.servers import make_server

pytestmark = pytest.mark.django_db


def _meminfo_total() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no MemTotal")


def test_status_reads_the_server_and_its_running_job(servers, ssh_servers, user):
    a, b = servers
    job = Job.objects.create(kind="cluster.selfcheck", server=a, status="running")
    status = svc.server_status_refresh(server=a, user=user, record=True)
    assert status["online"] is True and status["cpu_count"] == os.cpu_count()
    assert status["memory_total_bytes"] == _meminfo_total()
    assert status["jobs"] == [
        {"id": job.pk, "kind": job.kind, "percent": 0.0, "message": "", "pid": None, "alive": None}
    ]
    a.refresh_from_db()
    assert a.last_status["online"] and a.last_seen is not None
    row = ServerAction.objects.get(server=a, action="status")
    assert row.ok and row.user == user and f"#{job.pk} cluster.selfcheck" in row.output
    ssh_servers.stop(1)
    offline = svc.server_status_refresh(server=b)
    assert offline["online"] is False and "Error" in offline["error"]
    b.refresh_from_db()
    assert b.last_seen is None and b.last_status["online"] is False


def test_a_new_server_is_used_only_after_its_host_key_is_confirmed(ssh_servers, user):
    spec = ssh_servers.specs[1]
    server = make_server(spec, confirmed=False)
    with pytest.raises(ApplicationError, match="unconfirmed"):
        svc.server_status_refresh(server=server, user=user)
    assert ServerAction.objects.filter(server=server, action="status", ok=False).exists()
    presented = svc.server_host_key_fetch(server=server, user=user)
    assert presented == spec.known_host_fingerprint  # ssh-keygen's fingerprint of the server's key
    with pytest.raises(ApplicationError, match="is not the fingerprint"):
        svc.server_host_key_confirm(server=server, fingerprint="SHA256:" + "A" * 43, user=user)
    server = svc.server_host_key_confirm(server=server, fingerprint=presented, user=user)
    assert server.host_key_confirmed and server.host_key_confirmed_by == user
    assert f"[127.0.0.1]:{spec.port} ssh-ed25519 " in svc.known_hosts_path().read_text()
    assert svc.server_status_refresh(server=server)["online"] is True


def test_a_changed_host_key_stops_every_action(servers, ssh_servers, user, settings):
    a, b = servers
    assert svc.server_status_refresh(server=b)["online"]  # pins the key in our known_hosts
    server = ssh_servers.servers[1]
    server.stop()
    server.host_key_path.unlink()
    server.host_key_path.with_name(server.host_key_path.name + ".pub").unlink()
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(server.host_key_path)], check=True)
    server.start()
    settings.SERVER_POWER_COMMANDS = {**settings.SERVER_POWER_COMMANDS, "reboot": ("true",)}
    attempts = {
        "status": lambda: svc.server_status_refresh(server=b, user=user),
        "push": lambda: svc.server_push(server=b, what=["root"], user=user),
        "reboot": lambda: svc.server_power(server=b, action="reboot", user=user),
        "log": lambda: svc.server_log_chunk(
            server=b, job=Job.objects.create(kind="x", server=b, state={"remote": {"server": b.pk, "log": "l"}})
        ),
    }
    for name, attempt in attempts.items():
        with pytest.raises(ApplicationError, match="not the key recorded|not the confirmed"):
            attempt()
        assert ServerAction.objects.filter(server=b, action=name, ok=False).exists(), name
    b.refresh_from_db()
    assert b.last_status["host_key_changed"] is True and b.last_status["online"] is False
    assert svc.server_pick() == a  # the changed server is out of the pool
    # Confirming the new key is a deliberate admin act: fetch, compare, confirm.
    presented = svc.server_host_key_fetch(server=b, user=user)
    svc.server_host_key_confirm(server=b, fingerprint=presented, user=user)
    assert svc.server_status_refresh(server=b)["online"]


def test_power_actions_build_sudo_n_and_report_refusals(servers, ssh_servers, user, settings):
    assert production.SERVER_POWER_COMMANDS == {
        "reboot": ("sudo", "-n", "reboot"),
        "shutdown": ("sudo", "-n", "poweroff"),
    }
    # The suite itself never sends them: its SSH servers run on this machine, as root in CI.
    assert all(command[0] == "echo" for command in settings.SERVER_POWER_COMMANDS.values())
    a, b = servers
    # Never the real commands here: a refusing sudo, then one that accepts.
    settings.SERVER_POWER_COMMANDS = {
        **settings.SERVER_POWER_COMMANDS,
        "reboot": ("sh", "-c", "echo 'sudo: a password is required' >&2; exit 1"),
    }
    with pytest.raises(ApplicationError, match="a password is required"):
        svc.server_power(server=a, action="reboot", user=user)
    assert ServerAction.objects.get(server=a, action="reboot").ok is False
    settings.SERVER_POWER_COMMANDS = {**settings.SERVER_POWER_COMMANDS, "shutdown": ("echo", "going down")}
    ssh_servers.stop(1)
    results = svc.servers_power_all(action="shutdown", user=user)
    assert [(r["server"], r["ok"]) for r in results] == [(a.name, True), (b.name, False)]
    assert "going down" in results[0]["output"] and "unreachable" in results[1]["output"]
    with pytest.raises(ApplicationError, match="unknown power action"):
        svc.server_power(server=a, action="halt", user=user)


def test_install_key_appends_the_app_key_once_and_switches_to_it(servers, ssh_servers, user, settings):
    a = servers[0]
    authorized = ssh_servers.servers[0].workdir / "authorized_keys"
    saved = authorized.read_bytes()
    settings.SSH_AUTHORIZED_KEYS_FILE = str(authorized)
    line = svc.app_public_key()
    app_spec = svc.server_spec(a, key_path=str(svc.app_key_path()))
    with pytest.raises(Exception):  # the app key is not accepted yet
        connect(app_spec, svc.known_hosts_path()).close()
    try:
        row = svc.server_install_key(server=a, user=user, key_path=a.key_path)
        assert row.ok and row.output.startswith("installed") and "now uses the app key" in row.output
        a.refresh_from_db()
        assert a.key_path == "" and svc.server_status_refresh(server=a)["online"]
        again = svc.server_install_key(server=a, user=user, key_path=ssh_servers.client_key_path)
        assert again.output.startswith("already installed")
        assert authorized.read_text().splitlines().count(line) == 1
    finally:
        authorized.write_bytes(saved)


def test_connection_details_are_a_copyable_ssh_command(servers):
    a = servers[0]
    words = shlex.split(svc.server_connection_details(server=a)["command"])
    assert words[:2] == ["ssh", "-i"] and words[2] == a.key_path
    assert words[words.index("-p") + 1] == str(a.port) and words[-1] == f"{a.user}@{a.host}"
    assert f"UserKnownHostsFile={svc.known_hosts_path()}" in words


def test_pick_wants_an_online_confirmed_cluster_server_with_a_free_slot(servers, ssh_servers, ssh_client_key):
    a, b = servers
    Job.objects.create(kind="x", server=a, status="running")
    assert svc.server_pick() == b  # a is full (max_jobs=1)
    a.max_jobs = 2
    a.save()
    assert svc.server_pick(exclude=[b.pk]) == a
    make_server(ssh_servers.specs[0], confirmed=False, name="unconfirmed", is_cluster_worker=True)
    ssh_servers.stop(1)
    assert svc.server_pick() == a  # b does not answer
    a.is_cluster_worker = False
    a.save()
    assert svc.server_pick() is None


def _tree(base: Path) -> dict[str, str]:
    return {
        p.relative_to(base).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in base.rglob("*")
        if p.is_file()
    }


def test_push_sends_changed_files_only_and_pull_deletes_remote_copies_after_verifying(servers, settings, user):
    b = servers[1]
    epoch = Path(settings.EPOCHS_ROOT) / "_PUSHTEST"
    files = {
        "epoch.json": b'{"id": "_PUSHTEST"}',
        "epoch_settings.json": b"{}",
        "receipt.txt": b"local only",
        "candlesticks/candles_1m.parquet": os.urandom(50_000),
        "regression_training_configs/UL/KR_UL_1_2.json": b"[1]",
        "prediction_models/assets/a.json": b"{}",
    }
    for rel, data in files.items():
        (epoch / rel).parent.mkdir(parents=True, exist_ok=True)
        (epoch / rel).write_bytes(data)
    remote = Path(b.remote_root) / "epochs" / "_PUSHTEST"
    first = svc.server_push(
        server=b,
        what=["configuration", "candlesticks", "regression_training_configs", "prediction_models"],
        epoch_id="_PUSHTEST",
        user=user,
    )
    assert first["candlesticks"]["transferred"] == 1 and first["configuration"]["transferred"] == 2
    expected = {rel: hashlib.sha256(data).hexdigest() for rel, data in files.items() if rel != "receipt.txt"}
    assert _tree(remote) == expected  # the receipt was not asked for
    assert (remote / "regressions").is_dir() and (remote / "prediction_models" / "profitable_configs").is_dir()
    (epoch / "regression_training_configs/UL/KR_UL_1_2.json").write_bytes(b"[2]")
    second = svc.server_push(
        server=b, what=["configuration", "candlesticks", "regression_training_configs"], epoch_id="_PUSHTEST", user=user
    )
    assert [second[n]["transferred"] for n in ("configuration", "candlesticks", "regression_training_configs")] == [
        0,
        0,
        1,
    ]
    assert (remote / "regression_training_configs/UL/KR_UL_1_2.json").read_bytes() == b"[2]"
    # Results trained on the server come back verified; only then are the server's copies removed.
    (remote / "regressions" / "R1").mkdir(parents=True)
    (remote / "regressions" / "R1" / "model.keras").write_bytes(os.urandom(20_000))
    (remote / "regression_batched_certificates" / "UL_1.json").write_bytes(b'{"batch": 1}')
    made = _tree(remote / "regressions")
    pulled = svc.server_pull(
        server=b, what=["trained_regressions"], epoch_id="_PUSHTEST", delete_remote=True, user=user
    )
    assert pulled["regressions"]["verified"] == 1 and pulled["regression_batched_certificates"]["verified"] == 1
    assert _tree(epoch / "regressions") == made
    assert (epoch / "regression_batched_certificates" / "UL_1.json").read_bytes() == b'{"batch": 1}'
    assert not (remote / "regressions" / "R1" / "model.keras").exists()
    assert ServerAction.objects.filter(server=b, action="pull", ok=True).count() == 1
    with pytest.raises(ApplicationError, match="unknown target"):
        svc.server_push(server=b, what=["secrets"], epoch_id="_PUSHTEST")


def test_code_files_are_the_repository_sources(settings):
    files = svc.code_files()
    assert "manage.py" in files and "cluster/services/servers.py" in files
    assert not [f for f in files if f.startswith((".venv/", "var/", ".git/")) or "__pycache__" in f]


@pytest.mark.django_db(transaction=True)
def test_push_job_and_commands(servers, capsys):
    b = servers[1]
    call_command("push_to_server", b.name, "root")
    job = Job.objects.get(kind="cluster.push")
    assert job.status == JobStatus.SUCCEEDED and job.server == b
    sent = Path(b.remote_root, "code", "manage.py")
    assert sent.read_bytes() == Path("manage.py").read_bytes()
    top_level = [f for f in svc.code_files() if "/" not in f]
    assert job.result["root"]["transferred"] + job.result["root"]["skipped"] == len(top_level)
    call_command("server_status", b.name)
    assert f"{b.name}: online; jobs: not running" in capsys.readouterr().out
