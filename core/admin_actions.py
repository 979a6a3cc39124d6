"""Shared by the apps' admin actions: one job per selected row; actions offered by the apps above."""

from django.contrib import admin, messages
from django.contrib.admin.options import IS_POPUP_VAR
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


class OfferedActionsAdmin(admin.ModelAdmin):
    """A model admin on which the apps above offer their own actions (``offer_action``).

    A lower app's admin cannot name a higher app's services; the higher app's ``admin.py``
    offers its action here instead, so the lower app stays unaware of it.
    """

    offered_actions: tuple = ()

    @classmethod
    def offer_action(cls, action) -> None:
        if action not in cls.offered_actions:
            cls.offered_actions = (*cls.offered_actions, action)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if self.actions is None or IS_POPUP_VAR in request.GET:
            return actions
        offered = [self.get_action(action) for action in self.offered_actions]
        for func, name, description in self._filter_actions_by_permissions(request, offered):
            actions[name] = (func, name, description)
        return actions
