"""Status transitions of a model: one conditional update per transition, never a read-modify-save.

A transition names the statuses it may start from; the update applies only while the row is
still in one of them, so two processes racing for the same change cannot both make it. The
method says whether it applied and, when it did, brings the instance up to date.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def transition(
    instance, to: str, *, sources: Iterable[str] | None, where: dict[str, Any] | None = None, **fields: Any
) -> bool:
    """Set ``instance``'s status to ``to`` (and ``fields``) if its row is in ``sources`` (any when None)
    and matches ``where`` (a job's claim token, say)."""
    rows = type(instance)._default_manager.filter(pk=instance.pk, **(where or {}))
    if sources is not None:
        rows = rows.filter(status__in=tuple(sources))
    applied = bool(rows.update(status=to, **fields))
    if applied:
        instance.status = to
        for name, value in fields.items():
            if not hasattr(value, "resolve_expression"):  # F() expressions stay for refresh_from_db
                setattr(instance, name, value)
    return applied
