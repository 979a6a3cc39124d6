"""Pytest fixtures: two real OpenSSH servers on loopback for remote-operation tests.

Each server runs ``sshd -D -e`` as a child of the test process, on a free 127.0.0.1 port,
with its own host key, key authentication only, and its own remote root (server ``a``'s root
contains spaces, quotes and shell syntax). The login user is the current user. When sshd is
missing it is installed with apt-get if we are root; otherwise the tests are skipped.

The root conftest.py registers this module as a plugin: every test may ask for the fixtures,
and a test that uses ``ssh_servers`` is marked ``ssh``.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from cluster.remote.connection import ServerSpec, ensure_private_key

SSHD = "/usr/sbin/sshd"
START_TIMEOUT_S = 10.0


def ensure_sshd() -> str:
    """Path of sshd, installing openssh-server when we are root and it is missing."""
    if os.path.exists(SSHD):
        return SSHD
    if os.geteuid() != 0:
        pytest.skip(f"{SSHD} is missing and installing openssh-server needs root")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    install = ["apt-get", "install", "-y", "--no-install-recommends", "openssh-server"]
    result = subprocess.run(install, env=env, capture_output=True, text=True)
    if result.returncode != 0:  # stale package lists: refresh once and retry
        subprocess.run(["apt-get", "update"], env=env, capture_output=True, text=True)
        result = subprocess.run(install, env=env, capture_output=True, text=True)
    if not os.path.exists(SSHD):
        pytest.fail(f"installing openssh-server failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    return SSHD


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _fingerprint(pub_path: Path) -> str:
    # OpenSSH's own fingerprint, independent of the code under test.
    listing = subprocess.run(["ssh-keygen", "-lf", str(pub_path)], check=True, capture_output=True, text=True)
    return listing.stdout.split()[1]


@dataclass
class SshdServer:
    """One sshd child process; `stop` simulates a dead server, `start` brings it back."""

    sshd: str
    workdir: Path
    spec: ServerSpec
    host_key_path: Path
    fingerprint: str
    process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def log_path(self) -> Path:
        return self.workdir / "sshd.log"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        config = self.workdir / "sshd_config"
        config.write_text(
            "\n".join(
                [
                    f"Port {self.spec.port}",
                    "ListenAddress 127.0.0.1",
                    f"HostKey {self.host_key_path}",
                    "PidFile none",
                    f"AuthorizedKeysFile {self.workdir / 'authorized_keys'}",
                    "PubkeyAuthentication yes",
                    "AuthenticationMethods publickey",
                    "PasswordAuthentication no",
                    "KbdInteractiveAuthentication no",
                    "UsePAM no",
                    "StrictModes no",
                    "PermitRootLogin prohibit-password",
                    f"AllowUsers {self.spec.user}",
                    "Subsystem sftp internal-sftp",
                    "MaxStartups 50",
                    "LogLevel VERBOSE",
                    "",
                ]
            )
        )
        if os.geteuid() == 0:
            os.makedirs("/run/sshd", mode=0o755, exist_ok=True)  # privilege separation directory
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen([self.sshd, "-D", "-e", "-f", str(config)], stdout=log, stderr=log)
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"sshd exited with {self.process.returncode}:\n{self.log_path.read_text()}")
            try:
                with socket.create_connection(("127.0.0.1", self.spec.port), timeout=1) as sock:
                    if sock.recv(8).startswith(b"SSH-"):
                        return
            except OSError:
                time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"sshd did not answer on port {self.spec.port}:\n{self.log_path.read_text()}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


@dataclass
class SshCluster:
    servers: tuple[SshdServer, ...]
    known_hosts_path: Path
    client_key_path: Path
    pwned_marker: Path  # created only if a command injection through a remote root succeeded

    @property
    def specs(self) -> tuple[ServerSpec, ...]:
        return tuple(server.spec for server in self.servers)

    def stop(self, index: int) -> None:
        """Kill one server mid-test, as if it died."""
        self.servers[index].stop()


def nasty_root(base: Path, marker: Path) -> str:
    """A remote root whose name would run commands if any command line forgot its quoting."""
    return f"{base}/eb root; touch {marker}; $(touch {marker}) `touch {marker}` 'q\" &"


@pytest.fixture(scope="session")
def ssh_client_key(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The application key (ed25519, 0600) and its public line, as ensure_private_key makes them."""
    path = tmp_path_factory.mktemp("client-key") / "id_ed25519"
    return path, ensure_private_key(path, comment="epoch-builder-tests")


@pytest.fixture(scope="session")
def ssh_cluster(tmp_path_factory: pytest.TempPathFactory, ssh_client_key: tuple[Path, str]):
    """Two sshd servers for the whole session; tests use `ssh_servers`, which repairs them."""
    sshd = ensure_sshd()
    key_path, public_line = ssh_client_key
    base = tmp_path_factory.mktemp("sshd")
    user = pwd.getpwuid(os.getuid()).pw_name
    marker = base / "pwned"
    roots = {"a": nasty_root(base / "roots-a", marker), "b": str(base / "roots-b" / "epoch-builder")}
    servers = []
    known_hosts = []
    for name, root in roots.items():
        workdir = base / f"server-{name}"
        workdir.mkdir()
        host_key = workdir / "ssh_host_ed25519_key"
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(host_key)], check=True)
        (workdir / "authorized_keys").write_text(public_line + "\n")
        Path(root).mkdir(parents=True)
        pub = host_key.with_name(host_key.name + ".pub")
        spec = ServerSpec(
            name=f"test-{name}",
            host="127.0.0.1",
            port=free_port(),
            user=user,
            key_path=str(key_path),
            remote_root=root,
            known_host_fingerprint=_fingerprint(pub),
        )
        key_type, key_b64 = pub.read_text().split()[:2]
        known_hosts.append(f"[127.0.0.1]:{spec.port} {key_type} {key_b64}\n")
        servers.append(
            SshdServer(
                sshd=sshd, workdir=workdir, spec=spec, host_key_path=host_key, fingerprint=spec.known_host_fingerprint
            )
        )
    known_hosts_path = base / "known_hosts"
    known_hosts_path.write_text("".join(known_hosts))
    cluster = SshCluster(tuple(servers), known_hosts_path, key_path, marker)
    try:
        for server in servers:
            server.start()
        yield cluster
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def ssh_servers(ssh_cluster: SshCluster):
    """The two servers, running with their original host keys; a test may stop or re-key them."""
    saved = {
        path: path.read_bytes()
        for server in ssh_cluster.servers
        for path in (server.host_key_path, server.host_key_path.with_suffix(".pub"))
    }
    known_hosts = ssh_cluster.known_hosts_path.read_bytes()
    yield ssh_cluster
    ssh_cluster.known_hosts_path.write_bytes(known_hosts)
    for server in ssh_cluster.servers:
        # A provisioned worker's settings (its SECRET_KEY, database, broker) belong to that test.
        Path(server.spec.remote_root, "code", ".env").unlink(missing_ok=True)
    for server in ssh_cluster.servers:
        if server.host_key_path.read_bytes() != saved[server.host_key_path]:
            server.stop()
        if not server.running:
            for path in (server.host_key_path, server.host_key_path.with_suffix(".pub")):
                path.write_bytes(saved[path])
            server.start()


def session_pids(sshd_pid: int) -> list[int]:
    """The per-connection sshd processes of one listener (they outlive it when it stops)."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        if int(fields[1]) == sshd_pid:
            pids.append(int(stat.parent.name))
    return pids


def pytest_collection_modifyitems(items):
    """A test that uses the servers is an ``ssh`` test, wherever it lives."""
    for item in items:
        if "ssh_servers" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.ssh)
