"""Training on a full disk ends failed with the reason, and nothing trains it again by itself."""

import pytest

from cluster.choices import JobStatus
from cluster.jobs.cli import run_inline, run_tree_inline
from cluster.jobs.reaper import reap_stale_jobs
from epochs.services.paths import epoch_dir
from regressions.choices import RegressionStatus
from regressions.models import Regression, TrainingBatch
from regressions.services.training import batch_train_enqueue, regression_train_enqueue
from testing.mounts import full_disk
from testing.smoke import make_smoke_epoch

pytestmark = [pytest.mark.django_db, pytest.mark.tensorflow]  # every test trains
REASON = "No space left on device"


def test_a_training_on_a_full_disk_ends_failed_with_the_reason():
    epoch = make_smoke_epoch("_FULLTRAIN", max_epochs=1)
    regression = Regression.objects.get(config__batch__epoch=epoch, config__batch__name="KR_UNIT_TEST")
    with full_disk(epoch_dir(epoch.id) / "regressions", size="16k"):
        job = run_inline(regression_train_enqueue(regression=regression, inline=True))
        assert job.status == JobStatus.FAILED and REASON in job.error, job.error
        assert job.attempts == 1 and job.permanent_failure and not any(reap_stale_jobs().values())
        regression.refresh_from_db()
        assert regression.status == RegressionStatus.FAILED and REASON in regression.error


@pytest.mark.timeout(300)
def test_a_batch_whose_training_hits_a_full_disk_ends_failed_and_stops():
    # A full disk is a permanent failure: the batch does not train its child again.
    epoch = make_smoke_epoch("_FULLBATCH", max_epochs=1)
    batch = TrainingBatch.objects.get(epoch=epoch, name="KR_UNIT_TEST")
    with full_disk(epoch_dir(epoch.id) / "regressions", size="16k"):
        job = run_tree_inline(batch_train_enqueue(batch=batch, inline=True))
    child = job.children.get()
    assert child.status == JobStatus.FAILED and REASON in child.error and child.attempts == 1, (
        child.attempts,
        child.error,
    )
    assert job.status == JobStatus.FAILED and REASON in job.error and child.permanent_failure
