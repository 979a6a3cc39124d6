from django.core.management.base import CommandError

from cluster.jobs.command import JobCommand
from prediction_models.models import PredictionModel
from prediction_models.services.forward_tests import forward_test_create, range_of_dates


class Command(JobCommand):
    help = (
        "Trade a built model on imported candles after its epoch, with the inputs Epoca computes live; "
        "e.g. --model ID --from 2024-01 --to 2024-03."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--model", required=True, help="Prediction model id.")
        parser.add_argument(
            "--from", dest="first", required=True, help="First month or day, YYYY-MM or YYYY-MM-DD (UTC)."
        )
        parser.add_argument("--to", dest="last", required=True, help="Last month or day, YYYY-MM or YYYY-MM-DD (UTC).")

    def create_job(self, *, model, first, last, **options):
        row = PredictionModel.objects.select_related("search__epoch").filter(pk=model).first()
        if row is None:
            raise CommandError(f"No prediction model {model!r}.")
        start, end = range_of_dates(first, last)
        return forward_test_create(model=row, start=start, end=end, inline=True)[1]
