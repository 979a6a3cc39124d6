from django.core.management.base import CommandError

from cluster.jobs.command import JobCommand
from cluster.models import Server
from cluster.services.servers import push_targets, server_push_enqueue


class Command(JobCommand):
    help = "Push code and epoch files to a cluster server (only changed files, each verified by sha256)."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("server", help="Server name.")
        parser.add_argument("what", nargs="+", choices=[*push_targets(), "everything"])
        parser.add_argument("--epoch", help="Epoch id (needed for everything but code and root).")

    def create_job(self, *, server, what, epoch=None, **options):
        try:
            row = Server.objects.get(name=server)
        except Server.DoesNotExist:
            raise CommandError(f"No server named {server!r}.") from None
        return server_push_enqueue(server=row, what=what, epoch_id=epoch, inline=True)
