"""The small real epoch with its `smoke` grid (testing/smoke.py), trained or not."""

import pytest

from cluster.choices import JobStatus
from regressions.models import Regression
from testing.smoke import make_smoke_epoch, train_batches


@pytest.fixture
def smoke_epoch(db):
    return make_smoke_epoch()


@pytest.fixture
def trained_smoke_epoch(smoke_epoch, trained_cache):
    jobs = train_batches(smoke_epoch, trained_cache)
    assert all(job.status == JobStatus.SUCCEEDED for job in jobs), [(j.pk, j.error) for j in jobs]
    return smoke_epoch


@pytest.fixture
def trained_unit_test(db, trained_cache):
    """The UNIT_TEST regression of a small epoch, trained once per run (later tests copy its files in)."""
    epoch = make_smoke_epoch("_RETRAIN", max_epochs=2)
    jobs = train_batches(epoch, trained_cache, names=["KR_UNIT_TEST"])
    assert [job.status for job in jobs] == [JobStatus.SUCCEEDED]
    return epoch, Regression.objects.get(config__batch__epoch=epoch, config__batch__name="KR_UNIT_TEST")
