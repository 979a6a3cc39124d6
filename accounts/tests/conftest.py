import pytest
from rest_framework.test import APIClient

from cluster.tests.sshd import ssh_client_key, ssh_cluster, ssh_servers  # noqa: F401


def pytest_collection_modifyitems(items):
    for item in items:
        if "ssh_servers" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.ssh)


@pytest.fixture
def client_of():
    """``client_of(account)``: an API client authenticated as that account."""

    def make(account):
        client = APIClient()
        client.force_authenticate(account)
        return client

    return make
