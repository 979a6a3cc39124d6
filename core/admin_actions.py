"""Shared by the apps' admin actions that queue one job per selected row."""
from django.contrib import messages
from django.utils.html import format_html

from core.errors import ApplicationError


def enqueue_each(modeladmin, request, queryset, enqueue, label: str) -> None:
    """Call ``enqueue(obj)`` for each row; link each job, or show why it was refused."""
    for obj in queryset:
        try:
            job = enqueue(obj)
            modeladmin.message_user(request, format_html('{}: <a href="/jobs/{}/">job #{}</a>', label, job.pk, job.pk))
        except ApplicationError as exc:
            modeladmin.message_user(request, f"{obj}: {exc.message}", messages.ERROR)
