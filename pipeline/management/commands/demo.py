import json

from django.core.management.base import BaseCommand, CommandError

from cluster.choices import JobStatus
from cluster.jobs.cli import default_workers, run_tree_inline
from pipeline.demo import demo_enqueue, verdict_lines


class Command(BaseCommand):
    help = (
        "Run the whole pipeline on a small real epoch (3 months of candles, the smoke grid, 4 regressions per "
        "model) and export a verified Epoch File. Point --source (or CANDLESTICK_SOURCE) at a local copy of "
        "Binance's dumps to run offline."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--source", help="Base URL or local folder with Binance's layout (default: CANDLESTICK_SOURCE)."
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            help="Jobs run at once, this process included (default: one per core).",
        )

    def handle(self, *args, source=None, workers=None, **options):
        # The demo job and its stages run here and in one helper process per further core, as
        # workers would run them; a worker that is running takes its share of the stages' jobs.
        if workers is not None and workers < 1:
            raise CommandError("--workers must be at least 1.")
        job = run_tree_inline(demo_enqueue(source=source, inline=True), workers=workers or default_workers())
        if job.status != JobStatus.SUCCEEDED:
            raise CommandError(f"Job #{job.pk} {job.status}: {job.error}")
        result = job.result
        self.stdout.write(self.style.SUCCESS(f"Epoch File ready: {result['epoch_file']} (epoch {result['epoch']})"))
        self.stdout.write(json.dumps(result, indent=2))
        # The output ends with the verdict on the exported model.
        for line in verdict_lines(result):
            self.stdout.write(line)
