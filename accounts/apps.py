from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts, roles and audit"

    def ready(self) -> None:
        # why: the admin site and the roles need the app registry, which is complete only here
        from django.contrib import admin
        from django.db.models.signals import post_migrate

        from accounts import admin_guard
        from accounts.roles import ensure_roles_after_migrate

        post_migrate.connect(ensure_roles_after_migrate, dispatch_uid="accounts.ensure_roles")
        # Every app's admin is registered by now (django.contrib.admin comes first).
        admin_guard.guard_admin_actions(admin.site)
