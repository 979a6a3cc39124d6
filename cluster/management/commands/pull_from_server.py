from django.core.management.base import CommandError

from cluster.jobs.command import JobCommand
from cluster.models import Server
from cluster.services.servers import pull_targets, server_pull_enqueue


class Command(JobCommand):
    help = "Pull the files of an epoch (the targets the apps registered) from a cluster server, verified."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("server", help="Server name.")
        parser.add_argument("what", nargs="+", choices=[*pull_targets(), "everything"])
        parser.add_argument("--epoch", required=True)
        parser.add_argument(
            "--delete-remote", action="store_true", help="Remove the server's copies once verified here."
        )

    def create_job(self, *, server, what, epoch, delete_remote=False, **options):
        try:
            row = Server.objects.get(name=server)
        except Server.DoesNotExist:
            raise CommandError(f"No server named {server!r}.") from None
        return server_pull_enqueue(server=row, what=what, epoch_id=epoch, delete_remote=delete_remote, inline=True)
