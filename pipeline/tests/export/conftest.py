"""Fixtures of the Epoch File tests: the small real epoch with its four DNN regressions trained."""

import pytest

from cluster.choices import JobStatus
from regressions.models import TrainingBatch
from testing.epoch_files import place_model_certificate
from testing.smoke import make_smoke_epoch, train_batches


@pytest.fixture
def trained_epoch(db, trained_cache):
    epoch = make_smoke_epoch()
    names = list(TrainingBatch.objects.filter(epoch=epoch, category="DNN").values_list("name", flat=True))
    jobs = train_batches(epoch, trained_cache, names=names)
    assert jobs and all(job.status == JobStatus.SUCCEEDED for job in jobs), [(j.pk, j.error) for j in jobs]
    return epoch


@pytest.fixture
def model_certificate(trained_epoch):
    """A prediction-model certificate over the four regressions, placed where the build puts it."""
    return place_model_certificate(trained_epoch)
