from django.core.management.base import CommandError

from cluster.jobs.command import JobCommand
from core.cli import bounded
from prediction_models.models import PredictionModelSearch
from prediction_models.services.build import models_build_enqueue


class Command(JobCommand):
    help = "Write the certificates of a search's best profitable configs and prediction_models/build.json."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--search", type=int, required=True)
        parser.add_argument("--limit", type=bounded(int, 1, 1000), default=10)

    def create_job(self, *, search, limit, **options):
        row = PredictionModelSearch.objects.filter(pk=search).first()
        if row is None:
            raise CommandError(f"No search #{search}.")
        return models_build_enqueue(search=row, limit=limit, inline=True)
