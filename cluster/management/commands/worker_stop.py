from django.core.management.base import BaseCommand, CommandError

from cluster.models import Server
from cluster.services.provisioning import worker_stop
from core.cli import bounded
from core.errors import ApplicationError


class Command(BaseCommand):
    help = "Stop the scale-out worker on a server by its process group (SIGTERM, then SIGKILL)."

    def add_arguments(self, parser):
        parser.add_argument("server", help="Server name.")
        parser.add_argument(
            "--grace", type=bounded(float, 0, 3600), default=20.0, help="Seconds between SIGTERM and SIGKILL."
        )

    def handle(self, *args, server, grace, **options):
        row = Server.objects.filter(name=server).first()
        if row is None:
            raise CommandError(f"No server named {server!r}.")
        try:
            outcome = worker_stop(server=row, grace_s=grace)
        except ApplicationError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(self.style.SUCCESS(f"Worker on {row.name}: {outcome}."))
