"""Server rows for the loopback sshd pair (testing/sshd.py), and a private SSH folder per test."""

import sys

import pytest
from django.utils import timezone


def make_server(spec, *, confirmed: bool = True, **fields):
    """A row for one fixture server; it runs our pushed code with the test's own interpreter."""
    from cluster.models import Server

    values = {
        "name": spec.name,
        "host": spec.host,
        "port": spec.port,
        "user": spec.user,
        "key_path": spec.key_path,
        "remote_root": spec.remote_root,
        "python": sys.executable,
        "host_key_fingerprint": spec.known_host_fingerprint if confirmed else "",
        "host_key_confirmed_at": timezone.now() if confirmed else None,
    }
    return Server.objects.create(**{**values, **fields})


@pytest.fixture
def ssh_dir(settings, tmp_path):
    """Our known_hosts and app key start empty (keys pinned by one test stay there).

    The server tests' conftests use it in every test (autouse there).
    """
    settings.SSH_DIR = tmp_path / "ssh"
    settings.CLUSTER_REMOTE_POLL_SECONDS = 0.2
    settings.CLUSTER_SERVER_LOST_SECONDS = 1.0
    return settings.SSH_DIR


@pytest.fixture
def servers(ssh_servers):
    """Both fixture servers as confirmed cluster servers: (row a, row b)."""
    return tuple(make_server(spec) for spec in ssh_servers.specs)
