import os
import stat
import subprocess
from dataclasses import replace

import paramiko
import pytest

from cluster.remote.commands import run_checked
from cluster.remote.connection import (
    check_private_key,
    connect,
    ensure_private_key,
    fetch_host_fingerprint,
    forget_host_key,
    trust_host_key,
)
from cluster.remote.errors import HostKeyChangedError, HostKeyUnknownError, PrivateKeyError


def test_connect_logs_in_with_the_key(ssh_servers):
    for spec in ssh_servers.specs:
        with connect(spec, ssh_servers.known_hosts_path) as conn:
            assert run_checked(conn, "id -un").strip() == spec.user


def test_fetch_host_fingerprint_matches_openssh(ssh_servers):
    a, b = ssh_servers.servers
    assert fetch_host_fingerprint("127.0.0.1", a.spec.port) == a.fingerprint  # from ssh-keygen -lf
    assert fetch_host_fingerprint("127.0.0.1", b.spec.port) == b.fingerprint
    assert a.fingerprint != b.fingerprint


def test_unknown_host_key_is_refused(ssh_servers, tmp_path):
    spec = replace(ssh_servers.specs[0], known_host_fingerprint=None)
    known_hosts = tmp_path / "known_hosts"
    with pytest.raises(HostKeyUnknownError) as refused:
        connect(spec, known_hosts)
    assert refused.value.fingerprint == ssh_servers.servers[0].fingerprint
    assert not known_hosts.exists()


def test_confirmed_fingerprint_pins_the_key_on_first_use(ssh_servers, tmp_path):
    spec = ssh_servers.specs[0]  # carries the fingerprint an admin confirmed
    known_hosts = tmp_path / "known_hosts"
    with connect(spec, known_hosts) as conn:
        run_checked(conn, "true")
    assert known_hosts.read_text().startswith(f"[127.0.0.1]:{spec.port} ssh-ed25519 ")
    # From now on the pinned key alone is enough.
    with connect(replace(spec, known_host_fingerprint=None), known_hosts) as conn:
        run_checked(conn, "true")


def test_trust_and_forget_host_key(ssh_servers, tmp_path):
    a, b = ssh_servers.servers
    known_hosts = tmp_path / "known_hosts"
    with pytest.raises(HostKeyChangedError):
        trust_host_key("127.0.0.1", a.spec.port, b.fingerprint, known_hosts)
    assert not known_hosts.exists()
    trust_host_key("127.0.0.1", a.spec.port, a.fingerprint, known_hosts)
    trust_host_key("127.0.0.1", b.spec.port, b.fingerprint, known_hosts)
    trust_host_key("127.0.0.1", a.spec.port, a.fingerprint, known_hosts)  # replaces, no duplicate
    assert len(known_hosts.read_text().splitlines()) == 2
    assert forget_host_key("127.0.0.1", a.spec.port, known_hosts)
    assert not forget_host_key("127.0.0.1", a.spec.port, known_hosts)
    assert known_hosts.read_text().startswith(f"[127.0.0.1]:{b.spec.port} ")


def test_changed_host_key_raises(ssh_servers, tmp_path):
    a, b = ssh_servers.servers
    # known_hosts records server b's key under server a's address: a now "presents another key".
    b_key = ssh_servers.known_hosts_path.read_text().splitlines()[1].split(" ", 1)[1]
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text(f"[127.0.0.1]:{a.spec.port} {b_key}\n")
    for fingerprint in (None, a.fingerprint):
        with pytest.raises(HostKeyChangedError) as changed:
            connect(replace(a.spec, known_host_fingerprint=fingerprint), known_hosts)
        assert changed.value.fingerprint == a.fingerprint
    # Nothing pinned yet, but the confirmed fingerprint differs from what the server presents.
    with pytest.raises(HostKeyChangedError):
        connect(replace(a.spec, known_host_fingerprint=b.fingerprint), tmp_path / "empty_known_hosts")
    assert not (tmp_path / "empty_known_hosts").exists()
    # The pinned key matches the server, but the confirmation on record names another key.
    with pytest.raises(HostKeyChangedError):
        connect(replace(a.spec, known_host_fingerprint=b.fingerprint), ssh_servers.known_hosts_path)


def test_reinstalled_server_key_raises(ssh_servers):
    server = ssh_servers.servers[1]
    server.stop()
    server.host_key_path.unlink()
    server.host_key_path.with_name(server.host_key_path.name + ".pub").unlink()
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(server.host_key_path)], check=True)
    server.start()
    with pytest.raises(HostKeyChangedError):
        connect(replace(server.spec, known_host_fingerprint=None), ssh_servers.known_hosts_path)


def test_ensure_private_key_creates_owner_only_key(tmp_path):
    path = tmp_path / "keys" / "id_ed25519"
    line = ensure_private_key(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert line.startswith("ssh-ed25519 ") and line.endswith(" epoch-builder")
    derived = subprocess.run(["ssh-keygen", "-y", "-f", str(path)], check=True, capture_output=True, text=True)
    assert derived.stdout.split()[:2] == line.split()[:2]
    assert ensure_private_key(path) == line  # an existing key is kept
    assert (tmp_path / "keys" / "id_ed25519.pub").read_text().strip() == line


def test_key_with_wide_permissions_is_refused(ssh_servers, tmp_path):
    path = tmp_path / "id_ed25519"
    path.write_bytes(open(ssh_servers.client_key_path, "rb").read())
    os.chmod(path, 0o644)
    with pytest.raises(PrivateKeyError, match="0644"):
        check_private_key(path)
    with pytest.raises(PrivateKeyError, match="chmod 600"):
        ensure_private_key(path)
    with pytest.raises(PrivateKeyError):
        connect(replace(ssh_servers.specs[0], key_path=str(path)), ssh_servers.known_hosts_path)
    with pytest.raises(PrivateKeyError, match="does not exist"):
        check_private_key(tmp_path / "missing")


def test_stopped_server_cannot_be_reached(ssh_servers):
    ssh_servers.stop(1)
    with pytest.raises((OSError, paramiko.SSHException)):
        connect(ssh_servers.specs[1], ssh_servers.known_hosts_path, timeout=3)
    with connect(ssh_servers.specs[0], ssh_servers.known_hosts_path) as conn:
        run_checked(conn, "true")
