from django.core.management.base import CommandError

from cluster.jobs.command import JobCommand
from epochs.models import Epoch
from pipeline.services.export import epoch_export_enqueue


class Command(JobCommand):
    help = (
        "Export the Epoch File <EPOCHS_ROOT>/<EPOCH_ID>/<EPOCH_ID>.zip for one built prediction model "
        "(ORIGINAL.md §8), verify it as Epoca would read it, and mark the epoch exported."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--epoch", required=True, help="Epoch id, e.g. _EROS3.")
        parser.add_argument("--model_id", required=True, help="The prediction model's id (<EPOCH_ID>_<32 hex>).")
        parser.add_argument(
            "--confirm-interval",
            action="store_true",
            help="Export although the epoch's prediction candles are not 15 minutes (what Epoca feeds).",
        )
        parser.add_argument(
            "--reexport",
            action="store_true",
            help="The earlier Epoch File of this epoch was never installed in Epoca: export its ids again.",
        )

    def create_job(self, *, epoch, model_id, confirm_interval=False, reexport=False, **options):
        found = Epoch.objects.filter(pk=epoch).first()
        if found is None:
            raise CommandError(f"No epoch {epoch!r}.")
        return epoch_export_enqueue(
            epoch=found, prediction_model_id=model_id, confirm_interval=confirm_interval, reexport=reexport, inline=True
        )

    def summarise(self, result: dict) -> dict:
        return {k: v for k, v in result.items() if k != "verification"} | {
            "verified": result.get("verification", {}).get("ok"),
            "checks": result.get("verification", {}).get("checks"),
        }
