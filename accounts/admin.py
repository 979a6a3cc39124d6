from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from accounts import roles
from accounts.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: entries are written by the app, never edited or removed here."""

    list_display = ["at", "username", "interface", "action", "target", "status_code"]
    list_filter = ["interface", "action", "at"]
    search_fields = ["username", "action", "target", "path"]
    date_hierarchy = "at"
    readonly_fields = [f.name for f in AuditEntry._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def _role_action(role: str):
    def assign(modeladmin, request, queryset):
        for user in queryset:
            roles.role_assign(user, role)
        modeladmin.message_user(request, f"{queryset.count()} account(s) now have the {role} role.", messages.SUCCESS)

    assign.__name__ = f"make_{role}"
    return admin.action(description=f"Give the {role} role")(assign)


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class RoleUserAdmin(UserAdmin):
    """Django's user admin with the role shown and assignable (roles are groups: the form sets them too)."""

    list_display = [*UserAdmin.list_display, "role"]
    actions = [_role_action(role) for role in roles.ROLES]

    def get_readonly_fields(self, request, obj=None):
        # Only a superuser makes superusers or grants permissions one by one; roles are the way.
        readonly = tuple(super().get_readonly_fields(request, obj))
        return readonly if request.user.is_superuser else (*readonly, "is_superuser", "user_permissions")

    @admin.display(description="role")
    def role(self, user) -> str:
        return roles.role_of(user) or ("superuser" if user.is_superuser else "—")
