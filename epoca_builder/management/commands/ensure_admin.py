"""Create an administrator account when none exists, printing its random password once."""

import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from accounts.roles import ADMINISTRATOR, role_assign


class Command(BaseCommand):
    help = "Create the 'admin' account (administrator role, superuser) and a random password if no administrator exists yet."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")

    def handle(self, *args, username: str, **options):
        User = get_user_model()
        if User.objects.filter(is_superuser=True).exists() or User.objects.filter(groups__name=ADMINISTRATOR).exists():
            self.stdout.write("An admin account exists already.")
            return
        password = secrets.token_urlsafe(12)
        # The first account is also a superuser: it can repair roles and permissions themselves.
        user = User.objects.create_superuser(username=username, email="", password=password)
        role_assign(user, ADMINISTRATOR)
        # Only the hash is stored: this is the one time the password is shown.
        self.stdout.write(self.style.SUCCESS(f"Created admin account '{username}' with password: {password}"))
        self.stdout.write("Write it down now: it is stored only as a hash and will not be shown again.")
