import json

from django.core.management.base import BaseCommand, CommandError

from epoca_builder.errors import ApplicationError


class Command(BaseCommand):
    help = (
        "Run the whole pipeline on a small real epoch (3 months of candles, the smoke grid, 4 regressions per "
        "model) and export a verified Epoch File. Point --source (or CANDLESTICK_SOURCE) at a local copy of "
        "Binance's dumps to run offline."
    )

    def add_arguments(self, parser):
        parser.add_argument("--source", help="Base URL or local folder with Binance's layout (default: CANDLESTICK_SOURCE).")

    def handle(self, *args, source=None, **options):
        from tqdm import tqdm

        from epoca_builder.demo import STAGES, run_demo

        bar = tqdm(total=len(STAGES), desc="demo", unit="stage")

        def report(done, total, message):
            bar.n = done
            bar.set_postfix_str(message[:60])
            bar.refresh()

        try:
            result = run_demo(source=source, report=report)
        except ApplicationError as exc:
            raise CommandError(exc.message) from None
        finally:
            bar.close()
        self.stdout.write(self.style.SUCCESS(f"Epoch File ready: {result['epoch_file']} (epoch {result['epoch']})"))
        self.stdout.write(json.dumps(result, indent=2))
