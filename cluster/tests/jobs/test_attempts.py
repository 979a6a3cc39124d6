"""Attempts mean attempts: one classification of failures, counted retries on every path."""

import errno
import html
from unittest import mock

import pytest

from cluster.choices import JobStatus
from cluster.jobs import JobFailed, job_handler
from cluster.jobs.failures import classify_failure
from cluster.jobs.runner import execute
from cluster.models import Job
from cluster.services.jobs import job_enqueue, job_retry
from core.errors import ApplicationError
from epochs.services.candles import bundle_import_enqueue
from regressions.engine.certificate import CertificateError

pytestmark = pytest.mark.django_db(transaction=True)


@job_handler("tests.disk_full")
def _disk_full(ctx):
    raise OSError(errno.ENOSPC, "No space left on device", "/var/epochs/_E/model.keras")


@job_handler("tests.read_only")
def _read_only(ctx):
    try:
        raise OSError(errno.EROFS, "Read-only file system", "/var/epochs/_E")
    except OSError as exc:
        raise RuntimeError("could not write the receipt") from exc


@job_handler("tests.certificate")
def _certificate(ctx):
    raise CertificateError("best_epoch: expected an integer >= 1, got 0")


@job_handler("tests.refusal")
def _refusal(ctx):
    raise ApplicationError("The epoch is wider than the data.")


@job_handler("tests.crash")
def _crash(ctx):
    raise ConnectionResetError("the database went away")


@job_handler("tests.always_failing_batch")
def _batch(ctx):
    ctx.spawn_children(
        {"kind": kind, "params": {"steps": 1, "step_seconds": 0}, "dedup_key": f"child-{n}", "retry_failed": True}
        for n, kind in enumerate(["cluster.selfcheck", "tests.crash", "tests.disk_full"])
    )
    if ctx.job.children.filter(status__in=(JobStatus.QUEUED, JobStatus.RUNNING)).exists():
        return ctx.wait_for_children()
    if ctx.job.children.exclude(status=JobStatus.SUCCEEDED).exists():
        raise JobFailed("some children did not succeed")
    return {}


def _run(job):
    execute(job.pk, str(job.claim_token))
    job.refresh_from_db()
    return job


def _drain(limit=100) -> int:
    """Deliver every queued message, as workers would, until nothing is queued; count deliveries."""
    runs = 0
    while (job := Job.objects.filter(status=JobStatus.QUEUED).order_by("id").first()) is not None:
        runs += 1
        assert runs <= limit, "jobs keep being queued again: attempts are not counted"
        _run(job)
    return runs


@pytest.fixture(autouse=True)
def no_broker():
    with mock.patch("cluster.services.jobs._send") as send:
        yield send


@pytest.mark.parametrize(
    "kind, message",
    [
        ("tests.disk_full", "the disk is full (/var/epochs/_E/model.keras): No space left on device"),
        ("tests.read_only", "the file system is read-only (/var/epochs/_E): Read-only file system"),
        ("tests.certificate", "best_epoch: expected an integer >= 1, got 0"),
        ("tests.refusal", "The epoch is wider than the data."),
    ],
)
def test_a_permanent_failure_ends_the_job_at_once_and_offers_no_retry(kind, message, admin_client):
    job = _run(job_enqueue(kind=kind))
    assert (job.status, job.attempts, job.error, job.permanent_failure) == (JobStatus.FAILED, 1, message, True)
    with pytest.raises(ApplicationError, match="another attempt cannot change"):
        job_retry(job=job)
    answer = admin_client.post(f"/api/jobs/{job.pk}/retry/")
    assert answer.status_code == 400 and "another attempt cannot change" in answer.json()["message"]
    page = html.unescape(admin_client.get(f"/jobs/{job.pk}/").content.decode())
    assert f"/api/jobs/{job.pk}/retry/" not in page and message.split(" (")[0] in page


def test_a_retryable_failure_is_tried_again_until_its_attempts_are_used():
    job = job_enqueue(kind="tests.crash")
    assert classify_failure(ConnectionResetError("x")).permanent is False
    assert _drain() == 3
    job.refresh_from_db()
    assert (job.status, job.attempts, job.permanent_failure) == (JobStatus.FAILED, 3, False)
    assert job.error == "Gave up after 3 attempts: ConnectionResetError('the database went away')"
    assert "Traceback (most recent call last)" in job.traceback
    assert "attempt 1 of 3 failed" in job.log_tail and "attempt 3 of 3 started" in job.log_tail


def test_a_retry_by_hand_counts_as_one_more_attempt(admin_client):
    job = job_enqueue(kind="tests.crash")
    _drain()
    assert admin_client.post(f"/api/jobs/{job.pk}/retry/").status_code == 200
    _drain()
    job.refresh_from_db()
    assert (job.status, job.attempts, job.max_attempts) == (JobStatus.FAILED, 4, 4)
    assert "attempt 4 of 4 started" in job.log_tail and "attempt 1 of" not in job.log_tail.split("retried by hand")[1]


def test_a_batch_with_a_child_that_always_fails_ends_failed_saying_which_and_why():
    parent = job_enqueue(kind="tests.always_failing_batch")
    runs = _drain()
    parent.refresh_from_db()
    crash, full = parent.children.get(kind="tests.crash"), parent.children.get(kind="tests.disk_full")
    # parent twice (fan out, finish), the good child once, the crash 3 attempts, the full disk 1.
    assert runs == 2 + 1 + 3 + 1
    assert (crash.status, crash.attempts, full.status, full.attempts) == (JobStatus.FAILED, 3, JobStatus.FAILED, 1)
    assert parent.status == JobStatus.FAILED
    assert f"#{crash.pk} tests.crash: failed: Gave up after 3 attempts: ConnectionResetError" in parent.error
    assert f"#{full.pk} tests.disk_full: failed: the disk is full" in parent.error
    # Re-running the parent (a worker lost it) does not restart children whose attempts are used.
    Job.objects.filter(pk=parent.pk).update(status=JobStatus.QUEUED)
    parent.refresh_from_db()
    assert _drain() == 1
    crash.refresh_from_db()
    assert crash.attempts == 3 and crash.status == JobStatus.FAILED


def test_retrying_a_parent_by_hand_retries_its_retryable_children_only():
    parent = job_enqueue(kind="tests.always_failing_batch")
    _drain()
    job_retry(job=Job.objects.get(pk=parent.pk))
    assert set(Job.objects.filter(status=JobStatus.QUEUED).values_list("kind", flat=True)) == {
        "tests.always_failing_batch",
        "tests.crash",
    }


def test_dedup_keys_include_every_parameter():
    first = bundle_import_enqueue(path="/data/old-bundle", name="bundle")
    assert bundle_import_enqueue(path="/data/old-bundle", name="bundle").pk == first.pk
    other = bundle_import_enqueue(path="/data/new-bundle", name="bundle")
    assert other.pk != first.pk and other.params == {"path": "/data/new-bundle"}
