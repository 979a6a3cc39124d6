from django.core.management.base import BaseCommand, CommandError

from cluster.models import Server
from cluster.services.provisioning import worker_start
from core.errors import ApplicationError


class Command(BaseCommand):
    help = "Start the scale-out worker (manage.py qcluster) on a provisioned server, detached in its own process group."

    def add_arguments(self, parser):
        parser.add_argument("server", help="Server name.")

    def handle(self, *args, server, **options):
        row = Server.objects.filter(name=server).first()
        if row is None:
            raise CommandError(f"No server named {server!r}.")
        try:
            proc = worker_start(server=row)
        except ApplicationError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(
            self.style.SUCCESS(f"Worker started on {row.name}: process group {proc['pgid']}, log {proc['log_path']}")
        )
