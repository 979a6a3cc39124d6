"""The API's permission class: Django's model permissions, reads included, plus the actions'."""

from __future__ import annotations

from rest_framework.permissions import SAFE_METHODS, BasePermission

from accounts import roles
from accounts.audit import note_operation

# Standard viewset actions and the model permission each needs.
_MODEL_ACTIONS = {
    "list": "view",
    "retrieve": "view",
    "create": "add",
    "update": "change",
    "partial_update": "change",
    "destroy": "delete",
}
# Nobody holds this: an unplaced unsafe action stays closed (superusers aside, who hold everything).
UNPLACED = "accounts.unplaced_api_operation"


def operation_key(view) -> str:
    """``<router basename>.<action>`` for a viewset, the class name for any other API view."""
    basename, action = getattr(view, "basename", None), getattr(view, "action", None)
    if basename and action:
        return f"{basename}.{action}"
    return type(view).__name__


def required_permissions(request, view) -> tuple[str, ...]:
    key = operation_key(view)
    if request.method not in SAFE_METHODS and key in roles.API_WRITE_PERMISSIONS:
        return roles.API_WRITE_PERMISSIONS[key]
    if key in roles.API_ACTION_PERMISSIONS:
        return roles.API_ACTION_PERMISSIONS[key]
    action = getattr(view, "action", None)
    if (action in _MODEL_ACTIONS or (action and request.method in SAFE_METHODS)) and hasattr(view, "get_queryset"):
        model = view.get_queryset().model
        kind = _MODEL_ACTIONS.get(action, "view")
        return (f"{model._meta.app_label}.{kind}_{model._meta.model_name}",)
    return (UNPLACED,)


class RolePermission(BasePermission):
    """Allow an authenticated user holding every permission the operation requires.

    Operations the audit log records are noted on the request here, with their parameters,
    and written once the response is known (:class:`accounts.audit.AuditMiddleware`).
    """

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if not user.has_perms(required_permissions(request, view)):
            return False
        key = operation_key(view)
        if key in roles.AUDITED_API_OPERATIONS:
            note_operation(request, key, view.kwargs)
        return True


class OwnTokens(BasePermission):
    """Any authenticated account, workers included: each reaches only its own tokens."""

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        if operation_key(view) in roles.AUDITED_API_OPERATIONS:
            note_operation(request, operation_key(view), view.kwargs)
        return True
