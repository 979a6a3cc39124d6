from django.core.management.base import CommandError

from cluster.jobs.command import JobCommand
from core.cli import bounded
from prediction_models.models import PredictionModelSearch
from prediction_models.services.search import assets_export_json, search_initialize, search_initialize_enqueue
from regressions.models import RegressionSelection


class Command(JobCommand):
    help = (
        "Start a prediction-model search from a regression selection: freeze the epoch's config space, "
        "predict the regressions' features on the test range and build the assets."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--selection", type=int, help="A regression selection id: creates a new search.")
        target.add_argument(
            "--search", type=int, help="An existing search: build its assets again if they are missing."
        )
        parser.add_argument(
            "--regressions-per-model", type=int, nargs="+", choices=[4, 8, 16], help="Default: the epoch's setting."
        )
        parser.add_argument("--chunk-size", type=bounded(int, 1, 10_000_000), default=20_000)
        parser.add_argument(
            "--export-json",
            action="store_true",
            help="Also write the original's features.json, labels.json and lookback_indexer.json.",
        )

    def create_job(self, *, selection=None, search=None, regressions_per_model=None, chunk_size=20_000, **options):
        if search is not None:
            row = PredictionModelSearch.objects.filter(pk=search).first()
            if row is None:
                raise CommandError(f"No search #{search}.")
            self.search = row
            return None if row.assets_sha256 else search_initialize_enqueue(search=row, inline=True)
        selection_row = RegressionSelection.objects.filter(pk=selection).first()
        if selection_row is None:
            raise CommandError(f"No regression selection #{selection}.")
        self.search, job = search_initialize(
            selection=selection_row, regressions_per_model=regressions_per_model, chunk_size=chunk_size, inline=True
        )
        self.stdout.write(f"Search #{self.search.pk}: {self.search.total_configs} configs.")
        return job

    def handle(self, *args, **options):
        super().handle(*args, **options)
        if options["export_json"]:
            self.search.refresh_from_db()
            for path in assets_export_json(search=self.search):
                self.stdout.write(path)
