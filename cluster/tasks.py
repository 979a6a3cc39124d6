"""Job handlers of the cluster app."""
from __future__ import annotations

import sys
import time

from cluster.jobs import JobContext, job_handler
from cluster.jobs.process import run_child


@job_handler("cluster.selfcheck", label="Worker self-check", max_attempts=3)
def selfcheck(ctx: JobContext) -> dict:
    """Timed steps that prove a worker runs, reports, resumes and can be cancelled.

    Finished steps are recorded in the job's state, so a run resumed after a crash repeats
    none of them. With ``child_process`` the steps run in a child process, as training does.
    """
    steps = int(ctx.params.get("steps", 5))
    seconds = float(ctx.params.get("step_seconds", 1.0))
    done = list(ctx.state.get("done_steps", []))
    if ctx.params.get("child_process"):
        argv = [sys.executable, "-m", "cluster.jobs.selfcheck_child", "--steps", str(steps), "--seconds", str(seconds),
                "--done", ",".join(map(str, done))]
        return run_child(ctx, argv)
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


def reap() -> dict:
    """Scheduled by django-q2 (see cluster.signals)."""
    from cluster.jobs.reaper import reap_stale_jobs

    return reap_stale_jobs()
