"""Jobs run on the loopback sshd servers through the real runner: follow, kill, lose a server."""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from unittest import mock

import pytest
from django.db import connection

from cluster.choices import JobStatus
from cluster.jobs.reaper import reap_stale_jobs
from cluster.jobs.runner import execute
from cluster.models import Job, ServerAction
from cluster.services.jobs import job_enqueue
from cluster.services.servers import server_kill_job, server_log_chunk
from testing.sshd import session_pids

pytestmark = pytest.mark.django_db(transaction=True)


def _enqueue(server, **params):
    """A remote self-check job whose messages are not delivered: tests call execute()."""
    with mock.patch("cluster.services.jobs._send"):
        return job_enqueue(kind="cluster.selfcheck", server=server, params={"child_process": True, **params})


def _wait_for(predicate, timeout=30.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return True
    return state == "Z"


def _in_thread(job):
    thread = threading.Thread(target=execute, args=(job.pk, str(job.claim_token)), daemon=True)
    thread.start()
    return thread


def _done_steps(job, n):
    return len(Job.objects.get(pk=job.pk).state.get("done_steps", [])) >= n


def test_selfcheck_runs_our_pushed_code_on_the_server(servers, ssh_servers):
    server = servers[0]  # the remote root with spaces and shell syntax
    job = _enqueue(server, steps=3, step_seconds=0.1)
    execute(job.pk, str(job.claim_token))
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.error + job.log_tail
    assert job.result["steps"] == 3 and job.result["ran_this_attempt"] == [0, 1, 2]
    assert (job.progress_done, job.progress_total) == (3, 3)
    assert job.result["child_pid"] != os.getpid() and job.state["remote"]["server"] == server.pk
    root = Path(server.remote_root)
    # The interpreter imported the pushed copy below the remote root, not the working tree.
    assert (root / "code" / "cluster" / "jobs" / "selfcheck_child.py").is_file()
    assert list((root / "code" / "cluster" / "jobs" / "__pycache__").glob("process.*.pyc"))
    remote_log = (root / job.state["remote"]["log"]).read_text()
    assert '{"result": ' in remote_log and job.state["remote"]["ended"] is True
    assert f"child process {job.result['child_pid']} started" in job.log_tail
    # The page's live log reads the same file by offset.
    chunk = server_log_chunk(server=server, offset=0)
    assert chunk["job"] == job.pk and chunk["text"] == remote_log
    assert server_log_chunk(server=server, offset=chunk["next_offset"])["text"] == ""
    assert not ssh_servers.pwned_marker.exists()


def test_kill_stops_the_recorded_process_group_and_cancels_the_job(servers, user):
    server = servers[1]
    job = _enqueue(server, steps=40, step_seconds=0.25)
    thread = _in_thread(job)
    _wait_for(lambda: _done_steps(job, 1), what="a first step")
    running = Job.objects.get(pk=job.pk)
    pid = running.state["remote"]["pid"]
    child = int(running.log_tail.split("child process ")[1].split()[0])  # the python below the group leader
    assert not _gone(pid) and not _gone(child)
    action = server_kill_job(server=server, user=user)
    assert action.ok and f"job #{job.pk} (process group {pid}): terminated" in action.output
    assert action.user == user
    thread.join(30)
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED, job.error
    assert _gone(pid) and _gone(child)
    assert len(job.state["done_steps"]) < 40


def test_a_server_dying_mid_job_moves_the_job_to_the_other_server(servers, ssh_servers):
    a, b = servers
    job = _enqueue(a, steps=8, step_seconds=0.3)
    thread = _in_thread(job)
    _wait_for(lambda: _done_steps(job, 2), what="two steps on server a")
    first_pid = Job.objects.get(pk=job.pk).state["remote"]["pid"]
    # The machine dies: its sshd, the open sessions and the job's processes all go.
    sshd = ssh_servers.servers[0]
    sessions = session_pids(sshd.process.pid)
    ssh_servers.stop(0)
    for pid in sessions:
        os.kill(pid, signal.SIGKILL)
    os.killpg(first_pid, signal.SIGKILL)
    with mock.patch("cluster.services.jobs._send") as send:
        thread.join(30)
    assert not thread.is_alive()
    job.refresh_from_db()
    # The runner noticed and queued the job again, like the reaper does for a lost worker.
    assert job.status == JobStatus.QUEUED and job.attempts == 1, job.error + job.log_tail
    assert send.call_args.args == (job.pk, str(job.claim_token), job.kind)
    done_before = list(job.state["done_steps"])
    assert 2 <= len(done_before) < 8
    execute(job.pk, str(job.claim_token))
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.error + job.log_tail
    assert job.server_id == b.pk and job.attempts == 2
    assert f"moved from server {a.name} to {b.name}" in job.log_tail
    assert sorted(job.state["done_steps"]) == list(range(8))
    assert job.result["ran_this_attempt"] == [s for s in range(8) if s not in done_before]
    assert job.state["remote"]["server"] == b.pk and job.result["child_pid"] != first_pid
    assert not ServerAction.objects.filter(ok=True, server=a).exists()


def test_a_dead_worker_is_reaped_and_the_rerun_reattaches_to_the_remote_process(servers, tmp_path, settings):
    server = servers[1]
    job = _enqueue(server, steps=12, step_seconds=0.5)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "epoca_builder.test_settings",
        "DATABASE_URL": f"sqlite:///{connection.settings_dict['NAME']}",
        "SSH_DIR": str(settings.SSH_DIR),
        "EPOCA_VAR_DIR": str(settings.VAR_DIR),
    }
    code = "import sys, django; django.setup(); from cluster.jobs.runner import execute; execute(int(sys.argv[1]), sys.argv[2])"
    with open(tmp_path / "worker.log", "wb") as log:
        worker = subprocess.Popen(
            [sys.executable, "-c", code, str(job.pk), str(job.claim_token)],
            env=env,
            cwd=settings.BASE_DIR,
            start_new_session=True,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_for(lambda: _done_steps(job, 2), 60, "two steps run by the worker")
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(10)
    first = Job.objects.get(pk=job.pk).state["remote"]
    assert not _gone(first["pid"])  # the remote process does not depend on the worker
    time.sleep(settings.JOB_STALE_SECONDS + 1)
    with mock.patch("cluster.services.jobs._send"):
        assert reap_stale_jobs()["requeued"] == [job.pk]
    job.refresh_from_db()
    execute(job.pk, str(job.claim_token))
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.error + job.log_tail
    assert job.attempts == 2 and job.server_id == server.pk
    assert f"re-attached to process {first['pid']} on {server.name}" in job.log_tail
    # One process did every step exactly once: nothing started a second one.
    assert job.state["remote"]["pid"] == first["pid"]
    assert job.result["ran_this_attempt"] == list(range(12)) and sorted(job.state["done_steps"]) == list(range(12))
    assert job.log_tail.count("child process ") == 1
