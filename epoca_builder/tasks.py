"""Project-level job handlers."""
from cluster.jobs import JobContext, job_handler


@job_handler("epoca_builder.demo", label="Demo: the whole pipeline on a small real epoch", max_attempts=3)
def demo(ctx: JobContext):
    """A parent job: each stage is a child job (see epoca_builder.demo)."""
    from epoca_builder.demo import demo_step

    return demo_step(ctx)
