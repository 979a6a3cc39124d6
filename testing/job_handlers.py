"""Job handlers of the job-spine tests: one that crashes, one that refuses, a parent of three
self-checks, a parent in two stages, one served by a persistent child (imported by the tests
that run them)."""

import sys
from pathlib import Path

from cluster.choices import JobStatus
from cluster.jobs import JobFailed, job_handler
from cluster.jobs.parent import ParentJob
from cluster.jobs.persistent import PersistentChild
from cluster.models import Job


@job_handler("tests.explode")
def _explode(ctx):
    ctx.progress(1, 3, "about to fail")
    raise ZeroDivisionError("boom in the handler")


@job_handler("tests.refuse")
def _refuse(ctx):
    raise JobFailed("the epoch has no candles")


@job_handler("tests.parent")
def _parent(ctx):
    children = ctx.spawn_children(
        {"kind": "cluster.selfcheck", "params": {"steps": n, "step_seconds": 0}, "dedup_key": f"child-{n}"}
        for n in (1, 2, 3)
    )
    if any(c.status != JobStatus.SUCCEEDED for c in Job.objects.filter(pk__in=[c.pk for c in children])):
        return ctx.wait_for_children()
    return {"children": len(children), "finalised": True}


@job_handler("tests.staged")
def _staged(ctx):
    """Stage 1 fans out into two self-checks; stage 2, once they have ended, sums up."""
    parent = ParentJob.of(ctx)
    stage = ctx.state.get("stage", 1)
    parent.stage(stage, 2, ("Fan out", "Sum up")[stage - 1])
    if stage == 1:
        parent.save_state(stage=2)
        parent.spawn(
            {"kind": "cluster.selfcheck", "params": {"steps": 2, "step_seconds": 0}, "dedup_key": f"check-{n}"}
            for n in (1, 2)
        )
        return parent.wait
    return {"children": len(parent.child_statuses())}


# One persistent child for the whole test process, as a worker keeps one.
persistent_child = PersistentChild(
    [sys.executable, "-m", "testing.persistent_child"], name="test child", cwd=str(Path(__file__).resolve().parents[1])
)


@job_handler("tests.persistent")
def _persistent(ctx):
    return persistent_child.serve(ctx, ctx.params)
