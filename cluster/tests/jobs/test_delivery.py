"""Real django-q2 workers: messages lost with a killed worker are sent again, once; workers
reap at their configured period; SIGTERM and Ctrl-C stop everything within seconds."""

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone
from django_q.models import OrmQ

from cluster.choices import JobStatus
from cluster.jobs.delivery import stranded_jobs
from cluster.jobs.reaper import reap_stale_jobs
from cluster.jobs.runner import execute
from cluster.models import Job
from cluster.selectors import workers_alive
from cluster.services.jobs import _send, job_enqueue
from testing import job_handlers  # noqa: F401  (registers tests.parent)
from testing.processes import pid_alive, wait_for

pytestmark = pytest.mark.django_db(transaction=True)
REPO = Path(settings.BASE_DIR)
REAPER_SECONDS = 1


def worker(log: Path, **env) -> subprocess.Popen:
    """``manage.py qcluster`` on the test database, in its own process group."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "epoca_builder.test_settings",
        "DATABASE_URL": f"sqlite:///{connection.settings_dict['NAME']}",
        "WORKER_PROCESSES": "1",
        "JOB_REAPER_SECONDS": str(REAPER_SECONDS),
        **env,
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"],
        cwd=REPO,
        env=env,
        start_new_session=True,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    # Members left as zombies of the test process do not count.
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


def kill_group(proc: subprocess.Popen, sig=signal.SIGKILL) -> None:
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass
    proc.wait(timeout=30)


def _age_queue(seconds: float = 60) -> None:
    Job.objects.filter(status=JobStatus.QUEUED).update(queued_at=timezone.now() - timedelta(seconds=seconds))


@pytest.mark.worker
def test_queued_jobs_whose_messages_died_with_their_worker_are_sent_again(tmp_path):
    jobs = [job_enqueue(kind="cluster.selfcheck", params={"steps": 3, "step_seconds": 1.0, "n": n}) for n in range(7)]
    first = worker(tmp_path / "w1.log")
    try:
        wait_for(lambda: Job.objects.filter(status=JobStatus.RUNNING).exists(), 60, "a job to start")
        # The live cluster has taken messages ahead of its one worker: held, not stranded.
        wait_for(
            lambda: Job.objects.filter(status=JobStatus.QUEUED).exclude(message_holder="").exists(),
            30,
            "the cluster to take a message ahead",
        )
        _age_queue()
        assert stranded_jobs() == []
        held = set(Job.objects.filter(status=JobStatus.QUEUED).exclude(message_holder="").values_list("pk", flat=True))
    finally:
        kill_group(first)
    killed_at = time.monotonic()
    second = worker(tmp_path / "w2.log")
    try:
        bound = settings.JOB_STALE_SECONDS + REAPER_SECONDS + 30 + 7 * 3 * 1.0
        wait_for(
            lambda: not Job.objects.exclude(status=JobStatus.SUCCEEDED).exists(),
            bound,
            lambda: f"every job to succeed: {list(Job.objects.values_list('pk', 'status', 'message_holder'))}",
        )
    finally:
        kill_group(second, signal.SIGTERM)
    print(f"7 jobs done {time.monotonic() - killed_at:.1f}s after the kill; held by the dead cluster: {sorted(held)}")
    for pk in held:
        assert "its message was lost (taken by cluster" in Job.objects.get(pk=pk).log_tail
    assert sorted(Job.objects.values_list("pk", flat=True)) == sorted(j.pk for j in jobs)


def test_children_with_rows_but_no_message_are_sent_again():
    with mock.patch("cluster.services.jobs._send"):
        parent = job_enqueue(kind="tests.parent")
        execute(parent.pk, str(parent.claim_token))  # fans out; the children's messages are lost
    parent.refresh_from_db()
    assert parent.waiting and parent.children.filter(status=JobStatus.QUEUED).count() == 3
    assert stranded_jobs() == []  # within the grace of a message on its way
    _age_queue()
    with mock.patch("cluster.services.jobs._send") as send:
        resent = reap_stale_jobs()["resent"]
    assert sorted(resent) == sorted(parent.children.values_list("pk", flat=True))
    assert {call.args[0] for call in send.call_args_list} >= set(resent)


def test_a_stranded_queued_job_can_be_retried_from_the_api(admin_client):
    with mock.patch("cluster.services.jobs._send"):
        job = job_enqueue(kind="cluster.selfcheck")
    refused = admin_client.post(f"/api/jobs/{job.pk}/retry/")
    assert refused.status_code == 400 and "waits for a worker" in refused.json()["message"]
    _age_queue()
    token = Job.objects.get(pk=job.pk).claim_token
    with mock.patch("cluster.services.jobs._send") as send:
        answer = admin_client.post(f"/api/jobs/{job.pk}/retry/")
    assert answer.status_code == 200 and answer.json()["status"] == "queued"
    job.refresh_from_db()
    assert job.claim_token != token and job.attempts == 0
    send.assert_called_once_with(job.pk, str(job.claim_token), "cluster.selfcheck")


def test_many_children_queued_with_their_messages_cause_no_resend():
    """1,220 regressions queued for days: every message is in the broker, nothing is sent again."""
    parent = job_enqueue(kind="cluster.selfcheck")
    children = Job.objects.bulk_create(
        [
            Job(kind="cluster.selfcheck", parent=parent, claim_token=uuid.uuid4(), queued_at=timezone.now())
            for _ in range(1220)
        ]
    )

    for child in children:
        _send(child.pk, str(child.claim_token), child.kind)
    assert OrmQ.objects.count() == 1221
    _age_queue(3600 * 24 * 3)
    started = time.monotonic()
    with mock.patch("cluster.services.jobs._send") as send:
        assert reap_stale_jobs()["resent"] == []
    assert send.call_count == 0
    print(f"a reaper round over 1,221 queued jobs took {time.monotonic() - started:.2f}s")


@pytest.mark.worker
def test_the_worker_reaps_at_its_configured_period(tmp_path):
    with mock.patch("cluster.services.jobs._send"):
        job = job_enqueue(kind="cluster.selfcheck", params={"steps": 1, "step_seconds": 0})
    old = timezone.now() - timedelta(minutes=10)
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, heartbeat_at=old, attempts=1, worker="gone:1")
    proc = worker(tmp_path / "w.log")
    try:
        # Nobody calls the reaper here: the worker's own round finds the dead job and runs it.
        wait_for(lambda: Job.objects.get(pk=job.pk).status == JobStatus.SUCCEEDED, 60, "the worker to reap and run it")
    finally:
        kill_group(proc, signal.SIGTERM)
    job.refresh_from_db()
    assert job.attempts == 2 and "heartbeat older than" in job.log_tail


@pytest.mark.worker
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_to_the_worker_group_stops_it_within_seconds(tmp_path, sig):
    job = job_enqueue(kind="cluster.selfcheck", params={"steps": 50, "step_seconds": 2.0, "child_process": True})
    proc = worker(tmp_path / "w.log")
    try:
        wait_for(lambda: "child process " in Job.objects.get(pk=job.pk).log_tail, 60, "the child process to start")
        child_pid = int(Job.objects.get(pk=job.pk).log_tail.split("child process ")[1].split()[0])
        assert pid_alive(child_pid)
        started = time.monotonic()
        os.killpg(proc.pid, sig)
        proc.wait(timeout=10)
        took = time.monotonic() - started
    finally:
        if proc.poll() is None:
            kill_group(proc)
    print(f"{signal.Signals(sig).name}: stopped in {took:.1f}s")
    assert took < 5
    assert not pid_alive(child_pid) and not group_alive(proc.pid)
    job.refresh_from_db()
    # Nothing failed: the job waits for the next worker, its attempt given back.
    assert (job.status, job.attempts) == (JobStatus.QUEUED, 0) and "stopped; queued again" in job.log_tail


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _port_taken(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return True
        return False


def _app_processes(port: int) -> list[int]:
    """Live processes started for this app (each of its commands runs in a process group of its own)."""
    marker = f"_SERVE_ADDR=127.0.0.1:{port}".encode()
    found = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            values = environ.read_bytes().split(b"\0")
            state = (environ.parent / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if marker in values and state != "Z":
            found.append(int(environ.parent.name))
    return found


@pytest.mark.worker
def test_ctrl_c_stops_the_app_and_its_worker_and_frees_the_port(tmp_path):
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "epoca_builder.test_settings",
        "PY": sys.executable,
        "DATABASE_URL": f"sqlite:///{connection.settings_dict['NAME']}",
        "WORKER_PROCESSES": "1",
        "ADDR": f"127.0.0.1:{port}",
        "_SERVE_ADDR": f"127.0.0.1:{port}",
    }
    for round_ in range(2):  # every time, and the second start finds the port free
        log = tmp_path / f"serve{round_}.log"
        proc = subprocess.Popen(
            ["bash", "scripts/serve.sh"],
            cwd=REPO,
            env=env,
            start_new_session=True,
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for(lambda: _port_taken(port), 60, lambda: f"runserver to listen: {log.read_text()[-2000:]}")

            wait_for(workers_alive, 60, "the worker to report in")
            time.sleep(1)
            started = time.monotonic()
            os.killpg(proc.pid, signal.SIGINT)  # what a terminal sends on Ctrl-C
            proc.wait(timeout=20)
            took = time.monotonic() - started
        finally:
            if proc.poll() is None:
                kill_group(proc)
        print(f"Ctrl-C #{round_ + 1}: everything stopped in {took:.1f}s")
        wait_for(
            lambda: not group_alive(proc.pid) and not _app_processes(port),
            10,
            lambda: f"every process of the app to end: {_app_processes(port)}",
        )
        assert not _port_taken(port)
