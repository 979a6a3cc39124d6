"""Project-level job handlers."""
from cluster.jobs import JobContext, JobFailed, job_handler
from core.errors import ApplicationError


@job_handler("epoca_builder.demo", label="Demo: the whole pipeline on a small real epoch", max_attempts=3)
def demo(ctx: JobContext):
    """A parent job: each stage is a child job (see epoca_builder.demo)."""
    from epoca_builder.demo import demo_step

    try:
        return demo_step(ctx)
    except ApplicationError as exc:
        raise JobFailed(exc.message) from None
