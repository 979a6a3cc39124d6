from django.core.management.base import CommandError

from cluster.jobs.command import JobCommand
from epochs.models import Epoch
from regressions.services.grid import configs_generate_enqueue


class Command(JobCommand):
    help = "Generate an epoch's regression training configs (the hyper-parameter grid of its profile)."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--epoch", required=True)
        parser.add_argument("--profile", help="Grid profile name or JSON file (default: the epoch's).")

    def create_job(self, *, epoch, profile=None, **options):
        try:
            epoch_row = Epoch.objects.get(pk=epoch)
        except Epoch.DoesNotExist:
            raise CommandError(f"No epoch {epoch!r}.") from None
        return configs_generate_enqueue(epoch=epoch_row, profile=profile, inline=True)
