"""Job status transitions: conditional updates keyed by status and claim token, never a read-modify-save."""

import uuid
from unittest import mock

import pytest

from cluster.choices import JobStatus
from cluster.models import Job
from cluster.services.jobs import job_enqueue, job_retry
from core.errors import ApplicationError

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_broker():
    with mock.patch("cluster.services.jobs._send") as send:
        yield send


def _running():
    job = job_enqueue(kind="cluster.selfcheck", params={"steps": 1, "step_seconds": 0})
    assert Job.claim(job.pk, str(job.claim_token), attempts=1) is True
    job.refresh_from_db()
    return job


def test_a_message_claims_once():
    job = job_enqueue(kind="cluster.selfcheck", params={"steps": 1, "step_seconds": 0})
    assert Job.claim(job.pk, str(uuid.uuid4())) is False  # a stale message
    assert Job.claim(job.pk, str(job.claim_token)) is True
    assert Job.claim(job.pk, str(job.claim_token)) is False  # the same message delivered twice
    assert Job.objects.get(pk=job.pk).status == JobStatus.RUNNING


def test_only_the_attempt_holding_the_token_ends_the_job():
    job = _running()
    assert job.end(JobStatus.SUCCEEDED, token=uuid.uuid4(), result={"lost": True}) is False
    assert Job.objects.get(pk=job.pk).status == JobStatus.RUNNING
    assert job.end(JobStatus.FAILED, token=job.claim_token, error="it broke") is True
    assert (job.status, job.error) == (JobStatus.FAILED, "it broke")
    assert job.end(JobStatus.SUCCEEDED, token=job.claim_token) is False  # ended already
    assert Job.objects.values_list("status", "error").get(pk=job.pk) == (JobStatus.FAILED, "it broke")


def test_cancelling_a_queued_job_does_not_touch_a_running_one():
    job = _running()
    assert job.cancel_queued(error="Cancelled before it started.") is False
    assert job.cancel_waiting(error="Cancelled on request.") is False  # running, but not waiting
    assert Job.objects.get(pk=job.pk).status == JobStatus.RUNNING


def test_of_two_racing_retries_only_one_queues_the_job():
    job = _running()
    job.end(JobStatus.FAILED, token=job.claim_token, error="it broke")
    first, second = Job.objects.get(pk=job.pk), Job.objects.get(pk=job.pk)
    assert job_retry(job=first).status == JobStatus.QUEUED
    # The second retry read "failed" too; the conditional update refuses it.
    with mock.patch.object(Job, "refresh_from_db"), pytest.raises(ApplicationError, match="changed meanwhile"):
        job_retry(job=second)
    assert Job.objects.get(pk=job.pk).claim_token == first.claim_token
