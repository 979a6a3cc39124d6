"""`manage.py run_job_tree`: a helper process that takes a job tree's queued jobs, as a worker
would, and ends once the tree's root has ended (`manage.py demo` starts one per extra core)."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from cluster.choices import JobStatus
from cluster.models import Job
from cluster.services.jobs import job_enqueue

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


def start_helper(root: Job, log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "epoca_builder.test_settings",
        "DATABASE_URL": f"sqlite:///{connection.settings_dict['NAME']}",
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", "run_job_tree", str(root.pk), "--poll", "0.1"],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


def test_the_helper_runs_the_trees_queued_jobs_and_ends_with_its_root(tmp_path):
    # A parent that ran once and waits for its children, as a batch's job waits for its trainings.
    root = job_enqueue(kind="cluster.selfcheck", params={"steps": 1, "step_seconds": 0})
    Job.objects.filter(pk=root.pk).update(status=JobStatus.RUNNING, waiting=True, attempts=1)
    children = [
        job_enqueue(kind="cluster.selfcheck", params={"steps": 2, "step_seconds": 0.1}, dedup_key=f"c{n}")
        for n in (1, 2)
    ]
    Job.objects.filter(pk__in=[c.pk for c in children]).update(parent=root)
    outsider = job_enqueue(kind="cluster.selfcheck", params={"steps": 1, "step_seconds": 0}, dedup_key="other")
    helper = start_helper(root, tmp_path / "helper.log")
    try:
        # The last child queues the parent again; the helper runs it too, then ends with it.
        assert helper.wait(timeout=60) == 0, (tmp_path / "helper.log").read_text()[-3000:]
    finally:
        if helper.poll() is None:
            helper.kill()
            helper.wait()
    tree = Job.objects.filter(pk__in=[root.pk, *(c.pk for c in children)])
    assert set(tree.values_list("status", flat=True)) == {JobStatus.SUCCEEDED}
    assert set(tree.values_list("worker", flat=True)) == {f"{socket.gethostname()}:{helper.pid}"}
    # A job outside the tree is left to the workers.
    assert Job.objects.get(pk=outsider.pk).status == JobStatus.QUEUED


def test_the_helper_refuses_an_unknown_root():
    process = subprocess.run(
        [sys.executable, "manage.py", "run_job_tree", "999999"],
        cwd=settings.BASE_DIR,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "epoca_builder.test_settings",
            "DATABASE_URL": f"sqlite:///{connection.settings_dict['NAME']}",
        },
        capture_output=True,
        text=True,
    )
    assert process.returncode == 1 and "No job #999999" in process.stderr
