"""The loopback sshd pair as cluster servers, and a real 1-month epoch with its smoke grid."""
import pytest

from cluster.tests.servers.conftest import (  # noqa: F401
    pytest_collection_modifyitems, servers, ssh_client_key, ssh_cluster, ssh_dir, ssh_servers,
)
from regressions.models import Regression
from regressions.tests.conftest import make_smoke_epoch

EPOCH = "_REMOTE"


@pytest.fixture
def unit_test_regression(db) -> Regression:
    """The UNIT_TEST regression of a fresh smoke epoch, not trained yet."""
    epoch = make_smoke_epoch(EPOCH)
    return Regression.objects.select_related("config__batch").get(epoch=epoch, config__category="UNIT_TEST")
