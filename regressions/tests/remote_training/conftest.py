"""The loopback sshd pair as cluster servers, and a real 1-month epoch with its smoke grid."""

import pytest

from regressions.models import Regression
from testing.remote import EPOCH, unit_test_of
from testing.smoke import make_smoke_epoch


@pytest.fixture(autouse=True)
def _private_ssh_dir(ssh_dir):
    return ssh_dir


@pytest.fixture
def unit_test_regression(db) -> Regression:
    """The UNIT_TEST regression of a fresh smoke epoch (6 epochs at most), not trained yet."""
    return unit_test_of(make_smoke_epoch(EPOCH))
