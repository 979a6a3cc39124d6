from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from accounts.roles import ROLES, role_assign


class Command(BaseCommand):
    help = "Give an account one role (viewer, operator, administrator or worker), replacing its previous one."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("role", choices=ROLES)

    def handle(self, *args, username: str, role: str, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No account named {username!r}.")
        role_assign(user, role)
        self.stdout.write(self.style.SUCCESS(f"{username} is now a {role}."))
