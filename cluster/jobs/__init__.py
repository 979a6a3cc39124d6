"""The job system: handlers registered by kind, run by django-q2 workers through ``runner.execute``."""

from cluster.jobs.context import JobCancelled, JobContext, JobFailed
from cluster.jobs.registry import job_handler

__all__ = ["JobCancelled", "JobContext", "JobFailed", "job_handler"]
