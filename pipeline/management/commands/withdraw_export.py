from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from core.errors import ApplicationError
from epochs.models import Epoch
from pipeline.services.export import export_withdraw


class Command(BaseCommand):
    help = "Withdraw an epoch's export (the zip is kept) so that its regressions and settings may change again."

    def add_arguments(self, parser):
        parser.add_argument("--epoch", required=True)
        parser.add_argument("--reason", required=True, help="Why; recorded with the export.")
        parser.add_argument("--by", required=True, help="The administrator's user name (recorded).")

    def handle(self, *args, epoch, reason, by, **options):
        found = Epoch.objects.filter(pk=epoch).first()
        if found is None:
            raise CommandError(f"No epoch {epoch!r}.")
        user = get_user_model().objects.filter(username=by).first()
        if user is None:
            raise CommandError(f"No user {by!r}.")
        try:
            export = export_withdraw(epoch=found, user=user, reason=reason)
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from None
        except ApplicationError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"The export of {epoch} ({export.file_name}, model {export.prediction_model_id}) is withdrawn; the zip is kept."
            )
        )
