"""Server rows for the loopback sshd pair (testing/servers.py), and a private SSH folder per test."""

import pytest


@pytest.fixture(autouse=True)
def _private_ssh_dir(ssh_dir):
    return ssh_dir
