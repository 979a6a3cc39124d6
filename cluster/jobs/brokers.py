"""django-q2 brokers that note which cluster took each job message (see cluster.jobs.delivery)."""

from __future__ import annotations

from django_q.brokers.orm import ORM
from django_q.brokers.redis_broker import Redis

from cluster.jobs.delivery import record_taken


class _NotesHolder:
    def dequeue(self):
        messages = super().dequeue()
        if messages:
            record_taken(messages)
        return messages


class ORMBroker(_NotesHolder, ORM):
    """The default: django-q2's ORM broker on the project's database."""


class RedisBroker(_NotesHolder, Redis):
    """django-q2's Redis broker (REDIS_URL set)."""
