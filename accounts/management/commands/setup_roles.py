from django.core.management.base import BaseCommand

from accounts.roles import ROLES, ensure_roles


class Command(BaseCommand):
    help = "Create (or repair) the roles' groups and custom permissions. `migrate` does this too."

    def handle(self, *args, **options):
        ensure_roles()
        self.stdout.write(self.style.SUCCESS(f"Roles ready: {', '.join(ROLES)}."))
