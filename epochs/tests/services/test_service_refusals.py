"""A service's ApplicationError becomes a failed job in the runner, in one place, classified permanent."""

from unittest import mock

import pytest

from cluster.choices import JobStatus
from cluster.jobs.failures import classify_failure
from cluster.jobs.runner import execute
from cluster.services.jobs import job_enqueue, job_retry
from core.errors import ApplicationError
from epochs.choices import EpochStatus
from epochs.models import CandlestickSet, Epoch

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_refusal_is_permanent_and_shown_as_is():
    failure = classify_failure(ApplicationError("The epoch is wider than the data."))
    assert (failure.permanent, failure.message, failure.traceback) == (True, "The epoch is wider than the data.", "")


def test_a_service_refusal_fails_the_job_with_its_message():
    """The creation handler calls epoch_build, which refuses an exported epoch: the runner ends the job."""
    candles = CandlestickSet.objects.create(name="refusals")
    epoch = Epoch.objects.create(id="_REFUSED", candlestick_set=candles, status=EpochStatus.EXPORTED)
    with mock.patch("cluster.services.jobs._send"):
        job = job_enqueue(kind="epochs.create", target=epoch, params={"epoch_id": epoch.id})
        execute(job.pk, str(job.claim_token))
    job.refresh_from_db()
    assert (job.status, job.attempts, job.permanent_failure, job.traceback) == (JobStatus.FAILED, 1, True, "")
    assert job.error.startswith("Epoch _REFUSED is exported") and "failed: Epoch _REFUSED is exported" in job.log_tail
    with pytest.raises(ApplicationError, match="another attempt cannot change"):
        job_retry(job=job)
    assert Epoch.objects.get(pk=epoch.pk).status == EpochStatus.EXPORTED
