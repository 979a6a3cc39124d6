"""The one place that decides whether a failed attempt may be tried again.

*Permanent* failures (a refusal of the domain, a broken contract of an engine, a full disk or
a read-only file system) end the job at once with their message: another attempt would fail
the same way. Handlers let a service's ``ApplicationError`` through: it is turned into the
failed job here, with its message and no traceback, like a ``JobFailed``. Anything else (a crash, a lost connection, a killed child process) is
*retryable* while the job has attempts left.
"""

from __future__ import annotations

import errno
import traceback as tb
from dataclasses import dataclass

from cluster.jobs.context import JobFailed
from core.errors import ApplicationError
from core.files import UnsafePathError

# The engines' contract errors: the input or the result breaks a rule, whoever runs it. The
# apps register their own (``permanent_error_register``, from their AppConfig.ready()).
_PERMANENT_ERRORS: list[type] = [ApplicationError, UnsafePathError]
# The disk refuses every write until someone frees or remounts it.
PERMANENT_ERRNOS = {
    errno.ENOSPC: "the disk is full",
    errno.EROFS: "the file system is read-only",
    errno.EDQUOT: "the disk quota is used up",
}


@dataclass(frozen=True)
class Failure:
    permanent: bool
    message: str
    traceback: str = ""


def permanent_error_register(*classes: type) -> None:
    """Errors that end a job at once: another attempt would fail the same way."""
    _PERMANENT_ERRORS.extend(c for c in classes if c not in _PERMANENT_ERRORS)


def _permanent_types() -> tuple[type, ...]:
    return tuple(_PERMANENT_ERRORS)


def _chain(exc: BaseException):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def classify_failure(exc: BaseException) -> Failure:
    """Classify the exception that ended an attempt (call it inside the ``except`` block)."""
    trace = tb.format_exc() if exc.__traceback__ is not None else ""
    for link in _chain(exc):
        if isinstance(link, OSError) and link.errno in PERMANENT_ERRNOS:
            where = f" ({link.filename})" if link.filename else ""
            return Failure(True, f"{PERMANENT_ERRNOS[link.errno]}{where}: {link.strerror or link}", trace)
    if isinstance(exc, JobFailed):
        # An expected failure carries its own verdict; its message says it all.
        return Failure(not exc.retryable, str(exc))
    if isinstance(exc, ApplicationError):
        # A refusal of the domain, shown to the user as is: no attempt would fare better.
        return Failure(True, exc.message)
    if isinstance(exc, _permanent_types()):
        return Failure(True, getattr(exc, "message", None) or str(exc), trace)
    return Failure(False, repr(exc), trace)
