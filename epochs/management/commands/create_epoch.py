import argparse

from django.core.management.base import CommandError

from cluster.jobs.command import JobCommand
from core.cli import bounded, bounded_text
from epochs.choices import EpochPreset
from epochs.engine.epoch_params import ID_MAX_LENGTH, PARAMS, Param
from epochs.models import CandlestickSet
from epochs.services.candles import DEFAULT_SET
from epochs.services.epochs import epoch_create


def add_param_argument(parser: argparse.ArgumentParser, param: Param) -> None:
    """``--<name>`` of an epoch parameter (a switch for a boolean, values for a list), checked as declared."""
    help_text = f"{param.help} Default: {param.default!r}.".strip().replace("%", "%%")  # argparse formats help with %
    if param.kind is bool:
        flag = f"--no-{param.name}" if param.default else f"--{param.name}"
        parser.add_argument(
            flag, dest=param.name, action="store_false" if param.default else "store_true", default=None, help=help_text
        )
        return
    kind = param.item if param.kind is list else param.kind
    options: dict = {"help": help_text}
    if param.kind is list:
        options["nargs"] = "+"
    if param.choices:
        options.update(type=kind, choices=list(param.choices))
    elif kind is str:
        options["type"] = bounded_text(param.max_length or 64)
    else:
        options["type"] = bounded(kind, param.low, param.high)  # type: ignore[arg-type]
    parser.add_argument(f"--{param.name}", **options)


class Command(JobCommand):
    help = "Create an epoch from a candlestick set (ORIGINAL.md §1.3/§2): trimmed, smoothed and normalised candles, epoch.json and the receipt."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--id",
            required=True,
            type=bounded_text(ID_MAX_LENGTH),
            help="Epoch id: '_' + upper case, 4-100 characters, e.g. _EROS3.",
        )
        parser.add_argument("--set", dest="candlestick_set", default=DEFAULT_SET)
        parser.add_argument("--preset", choices=EpochPreset.values)
        for param in PARAMS:
            add_param_argument(parser, param)

    def create_job(self, *, candlestick_set, verbose_log=False, **options):
        try:
            candle_set = CandlestickSet.objects.get(name=candlestick_set)
        except CandlestickSet.DoesNotExist:
            raise CommandError(
                f"No candlestick set named {candlestick_set!r}: run import_candlesticks first."
            ) from None
        keys = {"id", "preset"} | {p.name for p in PARAMS}
        values = {k: v for k, v in options.items() if k in keys and v is not None}
        _, job = epoch_create(candlestick_set=candle_set, inline=True, **values)
        return job

    def summarise(self, result: dict) -> dict:
        return result.get("epoch_json", result)
