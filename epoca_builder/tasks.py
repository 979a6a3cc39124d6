"""Project-level job handlers."""
from cluster.jobs import JobContext, JobFailed, job_handler
from epoca_builder.errors import ApplicationError


@job_handler("epoca_builder.demo", label="Demo: the whole pipeline on a small real epoch", max_attempts=1)
def demo(ctx: JobContext) -> dict:
    from epoca_builder.demo import run_demo

    try:
        return run_demo(source=ctx.params.get("source"), user=ctx.job.created_by, report=ctx.progress)
    except ApplicationError as exc:
        raise JobFailed(exc.message) from None
