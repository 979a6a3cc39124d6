"""The loopback sshd pair as cluster servers, and a smoke epoch with four trained regressions."""
from cluster.tests.servers.conftest import (  # noqa: F401
    pytest_collection_modifyitems, servers, ssh_client_key, ssh_cluster, ssh_dir, ssh_servers,
)
from prediction_models.tests.conftest import features_cache, pm_epoch  # noqa: F401
