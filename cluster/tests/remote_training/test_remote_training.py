"""Training the UNIT_TEST regression on the loopback sshd servers through the real job runner."""
import time
from unittest import mock

import pytest

from cluster.choices import JobStatus
from cluster.jobs.runner import execute
from regressions.services.training import regression_train_enqueue

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.ssh]


def _enqueue(regression, server):
    with mock.patch("cluster.services.jobs._send"):
        return regression_train_enqueue(regression=regression, server=server)


def test_unit_test_regression_trains_on_a_server(servers, ssh_servers, unit_test_regression):
    server = servers[0]
    job = _enqueue(unit_test_regression, server)
    t = time.monotonic()
    execute(job.pk, str(job.claim_token))
    job.refresh_from_db()
    print(time.monotonic() - t)
    print(job.log_tail)
    assert job.status == JobStatus.SUCCEEDED, job.error + job.log_tail
