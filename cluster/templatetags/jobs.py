"""Links of a job on its pages: its target's page and what it made (see ``cluster.jobs.subjects``)."""

from django import template

from cluster.jobs import subjects

register = template.Library()


@register.filter
def target_url(job) -> str | None:
    return subjects.target_url(job)


@register.filter
def result_links(job) -> list[dict]:
    return subjects.result_links(job)
