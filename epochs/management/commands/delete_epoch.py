from django.core.management.base import BaseCommand, CommandError

from core.errors import ApplicationError
from epochs.models import Epoch
from epochs.services.epochs import epoch_delete


class Command(BaseCommand):
    help = "Delete a failed or finished epoch with its folder (an exported one only after its export is withdrawn)."

    def add_arguments(self, parser):
        parser.add_argument("--epoch", required=True, help="The epoch id, e.g. _EROS3.")

    def handle(self, *args, epoch, **options):
        found = Epoch.objects.filter(pk=epoch).first()
        if found is None:
            raise CommandError(f"No epoch {epoch!r}.")
        try:
            epoch_delete(epoch=found)
        except ApplicationError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(self.style.SUCCESS(f"Epoch {epoch} ({found.status}) and its folder are deleted."))
