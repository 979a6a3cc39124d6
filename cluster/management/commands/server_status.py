from django.core.management.base import BaseCommand, CommandError

from cluster.models import Server
from cluster.services.servers import server_status_refresh, status_summary
from core.errors import ApplicationError


class Command(BaseCommand):
    help = "Check cluster servers now over SSH: online, running jobs, CPU, memory, GPUs."

    def add_arguments(self, parser):
        parser.add_argument("servers", nargs="*", help="Server names (default: all).")

    def handle(self, *args, servers, **options):
        rows = Server.objects.filter(name__in=servers) if servers else Server.objects.all()
        missing = set(servers) - {s.name for s in rows}
        if missing:
            raise CommandError(f"No server named {', '.join(sorted(missing))}.")
        for server in rows.order_by("name"):
            try:
                self.stdout.write(f"{server.name}: {status_summary(server_status_refresh(server=server, record=True))}")
            except ApplicationError as exc:
                self.stdout.write(self.style.ERROR(f"{server.name}: {exc.message}"))
