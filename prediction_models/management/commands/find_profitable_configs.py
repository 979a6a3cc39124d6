from django.core.management.base import CommandError

from cluster.jobs.command import JobCommand
from prediction_models.models import PredictionModelSearch
from prediction_models.services.search import search_find_enqueue


class Command(JobCommand):
    help = (
        "Search a prediction-model search's config space for profitable configs, one child job per chunk; "
        "running workers take part. Done chunks are skipped, so a re-run resumes."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--search", type=int, required=True)

    def create_job(self, *, search, **options):
        row = PredictionModelSearch.objects.filter(pk=search).first()
        if row is None:
            raise CommandError(f"No search #{search}.")
        return search_find_enqueue(search=row, inline=True)
