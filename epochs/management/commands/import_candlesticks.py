from django.core.management.base import CommandError

from cluster.jobs.command import JobCommand
from epochs.services.candles import DEFAULT_SET, DEFAULT_SYMBOL, bundle_import_enqueue, candle_import_enqueue


class Command(JobCommand):
    help = (
        "Import 1-minute klines (BTCUSDT unless --symbol) from Binance's public dumps (or a local folder with the same layout), "
        "or the original tool's candlestick bundle (--bundle). Resumable and incremental."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--from", dest="start_month", help="First month, YYYY-MM.")
        parser.add_argument("--to", dest="end_month", help="Last month, YYYY-MM.")
        parser.add_argument("--source", help="Base URL or local folder (default: the CANDLESTICK_SOURCE setting).")
        parser.add_argument("--set", dest="name", default=DEFAULT_SET, help="Candlestick set (store) name.")
        parser.add_argument("--symbol", default=DEFAULT_SYMBOL, help="Binance spot pair of a new set, e.g. ETHUSDT.")
        parser.add_argument("--bundle", help="A candlesticks/ folder or zip of the original tool.")

    def create_job(
        self,
        *,
        start_month=None,
        end_month=None,
        source=None,
        name=DEFAULT_SET,
        symbol=DEFAULT_SYMBOL,
        bundle=None,
        **options,
    ):
        if bundle:
            return bundle_import_enqueue(path=bundle, name=name, inline=True)
        if not (start_month and end_month):
            raise CommandError("--from and --to are required (or --bundle).")
        return candle_import_enqueue(
            start_month=start_month, end_month=end_month, source=source, name=name, symbol=symbol, inline=True
        )

    def summarise(self, result: dict) -> dict:
        gaps = result.get("gaps", {})
        return {
            "months_imported": result.get("months_imported"),
            "months_skipped": result.get("months_skipped"),
            "candles_imported": result.get("candles_imported"),
            "candles_total": result.get("candles_total"),
            "gaps": gaps.get("count"),
            "missing_minutes": gaps.get("missing_minutes"),
            "longest_gap": gaps.get("longest"),
            "flagged_candles": len(result.get("flags", [])),
            "unit_conversions": result.get("unit_conversions"),
        }
