"""A real django-q2 worker: killed by its process group mid-job, reaped, resumed elsewhere."""

import os
import signal
import subprocess
import time

import pytest
from django.conf import settings

from cluster.choices import JobStatus
from cluster.jobs.reaper import reap_stale_jobs
from cluster.models import Job
from cluster.selectors import workers_alive
from cluster.services.jobs import job_enqueue
from testing.processes import pid_alive, start_worker, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


def test_killed_worker_is_reaped_and_the_job_resumes_without_redoing_steps(tmp_path):
    job = job_enqueue(kind="cluster.selfcheck", params={"steps": 6, "step_seconds": 0.7, "child_process": True})
    first = start_worker(tmp_path / "worker1.log")
    try:
        wait_for(lambda: len(Job.objects.get(pk=job.pk).state.get("done_steps", [])) >= 2, 90, "two finished steps")
        job.refresh_from_db()
        child_pid = int(job.log_tail.split("child process ")[1].split()[0])
        assert pid_alive(child_pid)
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
    done_before = list(Job.objects.get(pk=job.pk).state["done_steps"])
    # The child dies with its worker: no orphan keeps computing or writing.
    wait_for(lambda: not pid_alive(child_pid), 10, "the child process to die with its worker")
    assert Job.objects.get(pk=job.pk).status == JobStatus.RUNNING
    # Its heartbeat goes stale; the reaper (django-q2 runs it every minute) queues it again.
    time.sleep(settings.JOB_STALE_SECONDS + 1)
    assert reap_stale_jobs()["requeued"] == [job.pk]
    second = start_worker(tmp_path / "worker2.log")
    try:
        wait_for(
            lambda: Job.objects.get(pk=job.pk).status in (JobStatus.SUCCEEDED, JobStatus.FAILED), 90, "the job to end"
        )
    finally:
        os.killpg(second.pid, signal.SIGINT)
        try:
            second.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(second.pid, signal.SIGKILL)
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.error + (tmp_path / "worker2.log").read_text()
    assert job.attempts == 2
    assert sorted(job.state["done_steps"]) == list(range(6))
    assert job.result["ran_this_attempt"] == [s for s in range(6) if s not in done_before]
    assert "heartbeat older than" in job.log_tail


def test_worker_runs_a_job_end_to_end_and_reports_alive(tmp_path):
    worker = start_worker(tmp_path / "worker.log")
    try:
        wait_for(workers_alive, 60, "the worker to report in")
        job = job_enqueue(kind="cluster.selfcheck", params={"steps": 2, "step_seconds": 0.1})
        wait_for(lambda: Job.objects.get(pk=job.pk).status == JobStatus.SUCCEEDED, 60, "the job to succeed")
    finally:
        os.killpg(worker.pid, signal.SIGINT)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
