"""The loopback sshd pair as cluster servers, and a real 1-month epoch with its smoke grid."""
import hashlib
from pathlib import Path

import pytest

from cluster.tests.servers.conftest import (  # noqa: F401
    pytest_collection_modifyitems, servers, ssh_client_key, ssh_cluster, ssh_dir, ssh_servers,
)
from regressions.models import Regression
from regressions.tests.conftest import make_smoke_epoch

EPOCH = "_REMOTE"


def unit_test_of(epoch) -> Regression:
    return Regression.objects.select_related("config__batch").get(epoch=epoch, config__category="UNIT_TEST")


def sha256_tree(folder: Path) -> dict[str, str]:
    """{relative path: sha256} of every file below ``folder``, read independently of the code under test."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def unit_test_regression(db) -> Regression:
    """The UNIT_TEST regression of a fresh smoke epoch (6 epochs at most), not trained yet."""
    return unit_test_of(make_smoke_epoch(EPOCH))
