import pytest

from cluster.tests.sshd import ssh_client_key, ssh_cluster, ssh_servers  # noqa: F401


def pytest_collection_modifyitems(items):
    for item in items:
        if "ssh_servers" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.ssh)
