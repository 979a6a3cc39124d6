"""Job handlers of the job-spine tests: one that crashes, one that refuses, a parent of three
self-checks (imported by the tests that run them)."""

from cluster.choices import JobStatus
from cluster.jobs import JobFailed, job_handler
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
