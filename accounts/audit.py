"""Writing the audit log: parameters are copied without secrets and bounded in size."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from accounts.models import AuditEntry

_SECRET = re.compile(r"pass(word|phrase)?|secret|token|private|credential|authorization", re.IGNORECASE)
REDACTED = "[removed]"
MAX_TEXT = 500  # characters of one value
MAX_ITEMS = 50  # entries of one list or object


def clean_params(value: Any, depth: int = 0) -> Any:
    """A JSON-able copy of request parameters: secret-named fields removed, sizes bounded."""
    if depth > 4:
        return "…"
    if isinstance(value, Mapping):
        items = list(value.items())[:MAX_ITEMS]
        out = {}
        for key, item in items:
            key = str(key)[:100]
            if hasattr(value, "getlist") and len(value.getlist(key)) > 1:
                item = value.getlist(key)
            out[key] = REDACTED if _SECRET.search(key) else clean_params(item, depth + 1)
        return out
    if isinstance(value, (list, tuple)):
        return [clean_params(item, depth + 1) for item in value[:MAX_ITEMS]]
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if hasattr(value, "read"):  # an uploaded file: its name and size, never its bytes
        return {"file": str(getattr(value, "name", ""))[:MAX_TEXT], "size": getattr(value, "size", None)}
    return str(value)[:MAX_TEXT]


def audit_record(
    *,
    user,
    interface: str,
    action: str,
    target: str = "",
    params: Mapping | None = None,
    method: str = "",
    path: str = "",
    status_code: int | None = None,
) -> AuditEntry:
    authenticated = user is not None and getattr(user, "is_authenticated", False)
    return AuditEntry.objects.create(
        user=user if authenticated else None,
        username=user.get_username() if authenticated else "",
        interface=interface,
        action=action[:100],
        target=target[:300],
        params=clean_params(params or {}),
        method=method[:10],
        path=path[:500],
        status_code=status_code,
    )


def note_operation(request, key: str, kwargs: Mapping) -> None:
    """Remember an API operation to record once its answer is known (see AuditMiddleware).

    Reading ``request.data`` parses the body now, as the view would; a body that does not
    parse raises the same 400 here.
    """
    params = {"data": request.data, "query": request.query_params, "url": dict(kwargs)}
    target = ", ".join(f"{name}={value}" for name, value in kwargs.items())
    request._request.audit_operation = {
        "action": key,
        "target": target,
        "params": clean_params(params),
        "user": request.user,
    }


class AuditMiddleware:
    """Write the audit entry of a noted API operation with the status it was answered with."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        noted = getattr(request, "audit_operation", None)
        if noted is not None:
            audit_record(
                user=noted["user"],
                interface="api",
                action=noted["action"],
                target=noted["target"],
                params=noted["params"],
                method=request.method,
                path=request.path,
                status_code=response.status_code,
            )
        return response
