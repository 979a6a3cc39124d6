"""Job handlers of the cluster app."""

from __future__ import annotations

import sys
import time

from cluster.jobs import JobContext, job_handler
from cluster.jobs.process import run_child
from cluster.jobs.reaper import reap_stale_jobs
from cluster.services.remote_jobs import PYTHON, RemoteRun, run_remote
from cluster.services.servers import server_pull, server_push


@job_handler("cluster.selfcheck", label="Worker self-check", max_attempts=3)
def selfcheck(ctx: JobContext) -> dict:
    """Timed steps that prove a worker runs, reports, resumes and can be cancelled.

    Finished steps are recorded in the job's state, so a run resumed after a crash repeats
    none of them. With ``child_process`` the steps run in a child process, as training does,
    and on the job's server when it has one.
    """
    steps = int(ctx.params.get("steps", 5))
    seconds = float(ctx.params.get("step_seconds", 1.0))
    done = list(ctx.state.get("done_steps", []))
    if ctx.params.get("child_process"):
        args = [
            "-m",
            "cluster.jobs.selfcheck_child",
            "--steps",
            str(steps),
            "--seconds",
            str(seconds),
            "--done",
            ",".join(map(str, done)),
        ]
        if ctx.job.server_id:
            return run_remote(RemoteRun.of(ctx), argv=[PYTHON, *args])
        return run_child(ctx, [sys.executable, *args])
    ran = []
    for step in range(steps):
        if step in done:
            continue
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            time.sleep(min(0.1, seconds))
            ctx.check_cancelled()
        done.append(step)
        ran.append(step)
        ctx.save_state(done_steps=done)
        ctx.progress(len(done), steps, f"step {step + 1} of {steps}")
        ctx.log(f"step {step + 1} done")
    return {"steps": steps, "ran_this_attempt": ran}


@job_handler("cluster.push", label="Push to a server", max_attempts=3)
def push(ctx: JobContext) -> dict:
    """Send code and epoch files to the job's server; a re-run sends only what is still missing."""
    return server_push(
        server=ctx.job.server,
        what=ctx.params["what"],
        epoch_id=ctx.params.get("epoch") or None,
        user=ctx.job.created_by,
        progress=ctx.progress,
    )


@job_handler("cluster.pull", label="Pull from a server", max_attempts=3)
def pull(ctx: JobContext) -> dict:
    """Fetch the chosen pull targets (registered by the apps) from the job's server, verified."""
    return server_pull(
        server=ctx.job.server,
        what=ctx.params["what"],
        epoch_id=ctx.params["epoch"],
        delete_remote=bool(ctx.params.get("delete_remote")),
        user=ctx.job.created_by,
        progress=ctx.progress,
    )


def reap() -> dict:
    """One reaper round as a task (each worker also runs them itself: cluster.jobs.worker)."""
    return reap_stale_jobs()
