"""The loopback sshd pair as cluster servers, and a smoke epoch with four trained regressions
(testing.servers, testing.searches), with a private SSH folder per test."""

import pytest


@pytest.fixture(autouse=True)
def _private_ssh_dir(ssh_dir):
    return ssh_dir
