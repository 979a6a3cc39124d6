"""`run_children`: several child processes of one job at once, their progress added up."""

import sys
import time

import pytest

from cluster.choices import JobStatus
from cluster.jobs import JobFailed
from cluster.jobs.context import JobContext
from cluster.jobs.process import run_children
from cluster.models import Job

pytestmark = pytest.mark.django_db

# Each child writes its own mark, waits for the other's (so they must run at the same time),
# reports two steps and a result.
CHILD = """
import json, pathlib, sys, time
folder, me, other = pathlib.Path(sys.argv[1]), sys.argv[2], sys.argv[3]
(folder / me).touch()
deadline = time.monotonic() + 60
while not (folder / other).exists():
    if time.monotonic() > deadline:
        sys.exit(7)
    time.sleep(0.05)
for step in (1, 2):
    print(json.dumps({"progress": [step, 2, f"{me} step {step}"]}), flush=True)
print(json.dumps({"log": f"{me} done"}), flush=True)
print(json.dumps({"result": {"me": me}}), flush=True)
"""


def _context() -> JobContext:
    job = Job.objects.create(kind="cluster.selfcheck", status=JobStatus.RUNNING, claim_token="0" * 32)
    return JobContext(job, str(job.claim_token))


def test_children_run_at_once_and_their_progress_adds_up(tmp_path):
    ctx = _context()
    argvs = [[sys.executable, "-c", CHILD, str(tmp_path), me, other] for me, other in (("a", "b"), ("b", "a"))]
    assert run_children(ctx, argvs) == [{"me": "a"}, {"me": "b"}]
    ctx.flush()
    job = Job.objects.get(pk=ctx.job.pk)
    assert (job.progress_done, job.progress_total) == (4, 4)
    assert "a done" in job.log_tail and "b done" in job.log_tail


def test_a_failed_child_fails_the_job_and_kills_the_others(tmp_path):
    ctx = _context()
    slow = [sys.executable, "-c", "import time; time.sleep(60)"]
    failing = [sys.executable, "-c", "import sys; sys.exit(3)"]
    started = time.monotonic()
    with pytest.raises(JobFailed, match="exited with status 3"):
        run_children(ctx, [slow, failing])
    assert time.monotonic() - started < 30
