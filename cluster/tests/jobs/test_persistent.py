"""A persistent child serves one job after another in one process, is started again after it
died or failed a request, and a cancel kills it at once (real processes, no TensorFlow)."""

import os
import signal
import threading
import time

import pytest

from cluster.choices import JobStatus
from cluster.jobs.cli import run_inline
from cluster.models import Job
from cluster.services.jobs import job_enqueue
from testing import job_handlers
from testing.processes import pid_alive, wait_for

child = job_handlers.persistent_child


@pytest.fixture(autouse=True)
def _no_child_left():
    child.stop()
    yield
    child.stop()


def _run(**params):
    return run_inline(job_enqueue(kind="tests.persistent", params=params, inline=True))


@pytest.mark.django_db
def test_one_process_serves_job_after_job_and_relays_progress():
    starts = child.starts
    first, second = _run(steps=3, unterminated="no newline"), _run(steps=2)
    assert first.status == second.status == JobStatus.SUCCEEDED, (first.error, second.error)
    assert first.result["pid"] == second.result["pid"] == child.pid and child.starts == starts + 1
    assert (first.result["served"], second.result["served"]) == (1, 2)
    assert (first.progress_done, first.progress_total, first.progress_message) == (3, 3, "step 3")
    assert f"test child: started process {child.pid}" in first.log_tail
    assert (
        first.log_tail.endswith("no newline")
        and "request 2 of process" in second.log_tail
        and "started process" not in second.log_tail
    )
    assert os.getpgid(child.pid) == child.pid  # its own process group: a cancel kills all it started


@pytest.mark.django_db
def test_a_child_that_died_is_started_again_and_a_death_mid_request_is_retryable():
    starts = child.starts
    pid = _run().result["pid"]
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: not pid_alive(pid), 10, "the child to die")
    again = _run()
    assert again.status == JobStatus.SUCCEEDED and again.result["pid"] != pid and again.result["served"] == 1

    victim = child.pid
    threading.Timer(0.5, os.kill, (victim, signal.SIGKILL)).start()
    job = _run(steps=40, step_seconds=0.1)
    assert job.status == JobStatus.QUEUED and job.attempts == 1  # queued again: the next attempt may succeed
    assert "the test child ended with status -9" in job.log_tail and not pid_alive(victim)
    assert run_inline(job).status == JobStatus.SUCCEEDED and child.starts == starts + 3


@pytest.mark.django_db
def test_a_failed_request_ends_the_child_and_the_next_starts_fresh():
    pid = _run().result["pid"]
    failed = _run(status=3)
    assert failed.status == JobStatus.QUEUED and "the test child failed with status 3" in failed.log_tail
    wait_for(lambda: not pid_alive(pid), 10, "the failed child to exit")
    assert _run().result == {"pid": child.pid, "served": 1} and child.pid != pid


@pytest.mark.django_db(transaction=True)
def test_a_cancel_kills_the_child_at_once():
    job = job_enqueue(kind="tests.persistent", params={"steps": 600, "step_seconds": 0.1}, inline=True)
    pids = []

    def cancel_when_running():
        wait_for(lambda: Job.objects.get(pk=job.pk).progress_done >= 2, 20, "the request to run")
        pids.append(child.pid)
        Job.objects.filter(pk=job.pk).update(cancel_requested=True)

    canceller = threading.Thread(target=cancel_when_running)
    canceller.start()
    started = time.monotonic()
    job = run_inline(job)
    canceller.join()
    # The heartbeat (every second in the tests) sees the cancel and kills the child mid-request.
    assert job.status == JobStatus.CANCELLED and time.monotonic() - started < 20
    assert pids and not pid_alive(pids[0]) and child.pid is None
