"""The job lifecycle run in-process: success, failure, cancel, duplicate delivery, fan-out."""

import threading
import time
from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection
from django.utils import timezone

from cluster.choices import JobStatus
from cluster.jobs.reaper import reap_stale_jobs
from cluster.jobs.runner import execute
from cluster.models import Job
from cluster.services.jobs import job_cancel, job_enqueue, job_retry
from core.errors import ApplicationError
from testing import job_handlers  # noqa: F401  (registers tests.explode, tests.refuse, tests.parent)

pytestmark = pytest.mark.django_db(transaction=True)


def _enqueue(kind, **params):
    """Create a job without delivering its message: tests deliver by calling execute()."""
    with mock.patch("cluster.services.jobs._send") as send:
        job = job_enqueue(kind=kind, params=params)
    return job, send


def test_success_records_progress_log_and_result():
    job, _ = _enqueue("cluster.selfcheck", steps=3, step_seconds=0)
    assert execute(job.pk, str(job.claim_token)) == {"claimed": True}
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    assert (job.progress_done, job.progress_total, job.percent) == (3, 3, 100.0)
    assert job.result == {"steps": 3, "ran_this_attempt": [0, 1, 2]}
    assert "step 3 done" in job.log_tail
    assert job.attempts == 1 and job.started and job.finished and job.heartbeat_at


def test_failure_keeps_the_traceback():
    job, _ = _enqueue("tests.explode")
    with mock.patch("cluster.services.jobs._send"):
        for _attempt in range(3):  # retryable: queued again until its attempts are used
            execute(job.pk, str(job.claim_token))
            job.refresh_from_db()
    assert job.status == JobStatus.FAILED and not job.permanent_failure
    assert job.error == "Gave up after 3 attempts: ZeroDivisionError('boom in the handler')"
    assert "Traceback (most recent call last)" in job.traceback
    assert "_explode" in job.traceback and "boom in the handler" in job.log_tail
    assert job.progress_message == "about to fail"


def test_expected_failure_has_a_message_and_no_traceback():
    job, _ = _enqueue("tests.refuse")
    execute(job.pk, str(job.claim_token))
    job.refresh_from_db()
    assert (job.status, job.error, job.traceback) == (JobStatus.FAILED, "the epoch has no candles", "")


def test_duplicate_delivery_is_ignored():
    job, _ = _enqueue("cluster.selfcheck", steps=1, step_seconds=0)
    token = str(job.claim_token)
    assert execute(job.pk, token) == {"claimed": True}
    assert execute(job.pk, token) == {"claimed": False}
    job.refresh_from_db()
    assert job.attempts == 1 and job.result["ran_this_attempt"] == [0]


def test_two_deliveries_at_once_claim_once():
    job, _ = _enqueue("cluster.selfcheck", steps=2, step_seconds=0.2)
    token = str(job.claim_token)
    outcomes = []

    def deliver():
        outcomes.append(execute(job.pk, token)["claimed"])
        connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sorted(outcomes) == [False, True]


def test_stale_token_cannot_claim():
    job, _ = _enqueue("cluster.selfcheck", steps=1, step_seconds=0)
    assert execute(job.pk, "00000000-0000-0000-0000-000000000000") == {"claimed": False}
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED


def test_cancel_a_queued_job_at_once():
    job, _ = _enqueue("cluster.selfcheck", steps=1, step_seconds=0)
    job_cancel(job=job)
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED
    assert execute(job.pk, str(job.claim_token)) == {"claimed": False}


def test_cancel_a_running_job():
    job, _ = _enqueue("cluster.selfcheck", steps=50, step_seconds=0.2)
    runner = threading.Thread(target=lambda: execute(job.pk, str(job.claim_token)))
    runner.start()
    deadline = time.monotonic() + 20
    while Job.objects.get(pk=job.pk).progress_done < 1 and time.monotonic() < deadline:
        time.sleep(0.1)
    job_cancel(job=Job.objects.get(pk=job.pk))
    runner.join(timeout=30)
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED
    assert 1 <= job.progress_done < 50


def test_cancel_kills_a_child_process():
    job, _ = _enqueue("cluster.selfcheck", steps=50, step_seconds=0.3, child_process=True)
    runner = threading.Thread(target=lambda: execute(job.pk, str(job.claim_token)))
    runner.start()
    deadline = time.monotonic() + 30
    while Job.objects.get(pk=job.pk).progress_done < 1 and time.monotonic() < deadline:
        time.sleep(0.1)
    job_cancel(job=Job.objects.get(pk=job.pk))
    runner.join(timeout=30)
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED
    assert "child process" in job.log_tail and job.progress_done < 50


def test_retry_runs_a_failed_job_again():
    job, _ = _enqueue("tests.explode")
    with mock.patch("cluster.services.jobs._send"):
        for _attempt in range(3):
            execute(job.pk, str(job.claim_token))
            job.refresh_from_db()
    with pytest.raises(ApplicationError):
        job_retry(job=Job.objects.get(pk=_enqueue("cluster.selfcheck")[0].pk))
    with mock.patch("cluster.services.jobs._send") as send:
        job_retry(job=job)
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED and job.error == "" and job.traceback == ""
    assert (job.attempts, job.max_attempts) == (3, 4)  # a retry by hand is one more attempt, counted
    send.assert_called_once_with(job.pk, str(job.claim_token), "tests.explode")


def test_enqueue_sends_on_commit_and_dedups():
    with mock.patch("cluster.services.jobs._send") as send:
        first = job_enqueue(kind="cluster.selfcheck", dedup_key="same")
        second = job_enqueue(kind="cluster.selfcheck", dedup_key="same")
    assert first.pk == second.pk
    send.assert_called_once()


def test_reaper_requeues_then_fails_after_max_attempts():
    job, _ = _enqueue("cluster.selfcheck")
    old = timezone.now() - timedelta(minutes=10)
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, heartbeat_at=old, attempts=1, max_attempts=2)
    with mock.patch("cluster.services.jobs._send") as send:
        assert reap_stale_jobs()["requeued"] == [job.pk]
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED and send.call_args.args[1] == str(job.claim_token)
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, heartbeat_at=old, attempts=2)
    assert reap_stale_jobs()["failed"] == [job.pk]
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and "Gave up after 2 attempts" in job.error


def test_parent_fans_out_and_sums_children_progress():
    with mock.patch("cluster.services.jobs._send") as send:
        parent = job_enqueue(kind="tests.parent")
        execute(parent.pk, str(parent.claim_token))
        parent.refresh_from_db()
        assert parent.status == JobStatus.RUNNING and parent.waiting
        children = list(parent.children.order_by("id"))
        assert [c.dedup_key.split("@")[0] for c in children] == ["child-1", "child-2", "child-3"]
        for child in children:
            execute(child.pk, str(child.claim_token))
        parent.refresh_from_db()
        # The last child queued the parent again to finish up.
        assert parent.status == JobStatus.QUEUED
        assert (parent.progress_done, parent.progress_total) == (6, 6)
        execute(parent.pk, str(parent.claim_token))
    parent.refresh_from_db()
    assert parent.status == JobStatus.SUCCEEDED and parent.result == {"children": 3, "finalised": True}
    assert parent.children.count() == 3  # the re-run added no child twice
    assert send.call_count == 1 + 3 + 1
