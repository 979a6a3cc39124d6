"""Job kinds and their handlers. Each app registers its own in ``<app>/tasks.py``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class JobKind:
    name: str
    handler: Callable
    label: str
    max_attempts: int


_KINDS: dict[str, JobKind] = {}


def job_handler(name: str, *, label: str = "", max_attempts: int = 3) -> Callable:
    """Register ``fn(ctx) -> dict`` as the handler of job kind ``name``."""

    def register(fn: Callable) -> Callable:
        _KINDS[name] = JobKind(name=name, handler=fn, label=label or name, max_attempts=max_attempts)
        return fn

    return register


def get_kind(name: str) -> JobKind:
    try:
        return _KINDS[name]
    except KeyError:
        raise LookupError(f"no handler is registered for job kind {name!r}") from None


def kind_choices() -> list[tuple[str, str]]:
    return sorted((k.name, k.label) for k in _KINDS.values())
