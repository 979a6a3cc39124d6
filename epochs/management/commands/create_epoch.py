from django.core.management.base import CommandError

from cluster.jobs.command import JobCommand
from core.cli import bounded, bounded_text
from core.fields import MAX_TIME_MS
from epochs.engine.epoch_params import ID_MAX_LENGTH, RANGES
from epochs.models import CandlestickSet
from epochs.services.candles import DEFAULT_SET
from epochs.services.epochs import ENGINE_FIELDS, epoch_create

FLOATS = {"train_split", "validation_split", "exchange_fee", "position_size", "holdout_share"}


class Command(JobCommand):
    help = "Create an epoch from a candlestick set (ORIGINAL.md §1.3/§2): trimmed, smoothed and normalised candles, epoch.json and the receipt."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--id", required=True, type=bounded_text(ID_MAX_LENGTH), help="Epoch id: '_' + upper case, 4-100 characters, e.g. _EROS3.")
        parser.add_argument("--set", dest="candlestick_set", default=DEFAULT_SET)
        parser.add_argument("--preset", choices=["default", "original"])
        for name in ENGINE_FIELDS:
            kind = float if name in FLOATS else int
            low, high = RANGES[name][1:] if name in RANGES else (0, 10**9)
            parser.add_argument(f"--{name}", type=bounded(kind, low, high))
        parser.add_argument("--prediction_interval", type=int, choices=[15, 30])
        parser.add_argument("--holdout_share", type=bounded(float, 0, 0.5))
        parser.add_argument("--no-purge", dest="purge", action="store_false", default=None)
        parser.add_argument("--data_end", type=bounded(int, 0, MAX_TIME_MS), help="End at the last candle closing by this time (ms).")
        parser.add_argument("--max_gap_minutes", type=bounded(int, 0, 100_000),
                            help="Refuse a longer gap in the candles inside the range (default 1440 minutes).")
        parser.add_argument("--regression_grid_profile", type=bounded_text(64))
        parser.add_argument("--max_epochs", type=bounded(int, 1, 100_000))
        parser.add_argument("--patience", type=bounded(int, 1, 100_000))
        parser.add_argument("--batch_size", type=bounded(int, 1, 1_000_000))

    def create_job(self, *, candlestick_set, verbose_log=False, **options):
        try:
            candle_set = CandlestickSet.objects.get(name=candlestick_set)
        except CandlestickSet.DoesNotExist:
            raise CommandError(f"No candlestick set named {candlestick_set!r}: run import_candlesticks first.") from None
        keys = set(ENGINE_FIELDS) | {"id", "preset", "prediction_interval", "holdout_share", "purge", "data_end",
                                     "regression_grid_profile", "max_epochs", "patience", "batch_size", "max_gap_minutes"}
        values = {k: v for k, v in options.items() if k in keys and v is not None}
        _, job = epoch_create(candlestick_set=candle_set, inline=True, **values)
        return job

    def summarise(self, result: dict) -> dict:
        return result.get("epoch_json", result)
