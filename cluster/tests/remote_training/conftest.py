"""The loopback sshd pair as cluster servers."""
from cluster.tests.servers.conftest import (  # noqa: F401
    pytest_collection_modifyitems, servers, ssh_client_key, ssh_cluster, ssh_dir, ssh_servers,
)
