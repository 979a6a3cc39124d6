"""The admin under the roles: each action is offered only to users holding its permission, and
destructive work is recorded in the audit log.

Applied to every registered ModelAdmin when the app is ready, so the apps' admin modules keep
declaring their actions as usual; the table is ``roles.ADMIN_ACTION_PERMISSIONS``. Actions in
``roles.AUDITED_ADMIN_ACTIONS`` are recorded with the selected rows, every deletion with the
deleted rows, and every server edit with the values it set (keys stay on disk: nothing secret).
"""

from __future__ import annotations

import functools

from accounts import roles
from accounts.audit import audit_record
from accounts.permissions import UNPLACED


def action_key(model_admin, name: str) -> str:
    return f"{model_admin.model._meta.app_label}.{model_admin.model._meta.model_name}.{name}"


def _audited(func, key: str):
    @functools.wraps(func)
    def run(modeladmin, request, queryset):
        pks = [str(pk) for pk in queryset.values_list("pk", flat=True)[:200]]
        params = {
            k: v for k, v in request.POST.items() if k not in ("csrfmiddlewaretoken", "_selected_action", "action")
        }
        response = func(modeladmin, request, queryset)
        audit_record(
            user=request.user,
            interface="admin",
            action=key,
            target=", ".join(pks),
            params=params,
            method=request.method,
            path=request.path,
            status_code=getattr(response, "status_code", None),
        )
        return response

    return run


SERVER_FIELDS = ("name", "host", "port", "user", "key_path", "remote_root", "python", "is_cluster_worker", "max_jobs")


def _audit_deletions(model_admin):
    original = model_admin.log_deletions
    label = f"{model_admin.model._meta.app_label}.{model_admin.model._meta.model_name}"

    def log_deletions(request, queryset):
        rows = list(queryset)
        result = original(request, rows)
        for obj in rows:
            audit_record(
                user=request.user,
                interface="admin",
                action=f"{label}.delete",
                target=f"{obj.pk} ({obj})",
                method=request.method,
                path=request.path,
            )
        return result

    model_admin.log_deletions = log_deletions


def _audit_server_edits(model_admin):
    original = model_admin.log_change

    def log_change(request, obj, message):
        result = original(request, obj, message)
        audit_record(
            user=request.user,
            interface="admin",
            action="cluster.server.change",
            target=f"{obj.pk} ({obj})",
            params={
                "changed": result.get_change_message() if result else "",
                "values": {name: getattr(obj, name) for name in SERVER_FIELDS},
            },
            method=request.method,
            path=request.path,
        )
        return result

    model_admin.log_change = log_change


def guard_admin_actions(site) -> None:
    for model_admin in site._registry.values():
        _audit_deletions(model_admin)
        if model_admin.model._meta.label_lower == "cluster.server":
            _audit_server_edits(model_admin)
        original = model_admin.get_actions

        def get_actions(request, *, _admin=model_admin, _original=original):
            allowed = {}
            for name, (func, action_name, description) in _original(request).items():
                key = action_key(_admin, name)
                if name != "delete_selected" and not request.user.has_perm(
                    roles.ADMIN_ACTION_PERMISSIONS.get(key, UNPLACED)
                ):
                    continue
                if key in roles.AUDITED_ADMIN_ACTIONS:
                    func = _audited(func, key)
                allowed[name] = (func, action_name, description)
            return allowed

        model_admin.get_actions = get_actions
