"""The admin's actions under the roles: each is offered only to users holding its permission.

Applied to every registered ModelAdmin when the app is ready, so the apps' admin modules keep
declaring their actions as usual; the table is ``roles.ADMIN_ACTION_PERMISSIONS``. Actions in
``roles.AUDITED_ADMIN_ACTIONS`` are recorded in the audit log with the selected rows.
"""
from __future__ import annotations

import functools

from accounts import roles
from accounts.permissions import UNPLACED


def action_key(model_admin, name: str) -> str:
    return f"{model_admin.model._meta.app_label}.{model_admin.model._meta.model_name}.{name}"


def _audited(func, key: str):
    @functools.wraps(func)
    def run(modeladmin, request, queryset):
        from accounts.audit import audit_record

        pks = [str(pk) for pk in queryset.values_list("pk", flat=True)[:200]]
        params = {k: v for k, v in request.POST.items() if k not in ("csrfmiddlewaretoken", "_selected_action", "action")}
        response = func(modeladmin, request, queryset)
        audit_record(user=request.user, interface="admin", action=key, target=", ".join(pks), params=params,
                     method=request.method, path=request.path, status_code=getattr(response, "status_code", None))
        return response

    return run


def guard_admin_actions(site) -> None:
    for model_admin in site._registry.values():
        original = model_admin.get_actions

        def get_actions(request, *, _admin=model_admin, _original=original):
            allowed = {}
            for name, (func, action_name, description) in _original(request).items():
                key = action_key(_admin, name)
                if name != "delete_selected" and not request.user.has_perm(roles.ADMIN_ACTION_PERMISSIONS.get(key, UNPLACED)):
                    continue
                if key in roles.AUDITED_ADMIN_ACTIONS:
                    func = _audited(func, key)
                allowed[name] = (func, action_name, description)
            return allowed

        model_admin.get_actions = get_actions
