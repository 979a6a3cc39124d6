"""A candlestick store: 1-minute candles kept as parquet files, summarised here."""

from django.db import models

__all__ = ["CandlestickSet"]


class CandlestickSet(models.Model):
    name = models.SlugField(max_length=100, unique=True, help_text="Also the store's folder under CANDLES_ROOT.")
    symbol = models.CharField(max_length=20, default="BTCUSDT")
    source = models.CharField(max_length=500, blank=True, help_text="Where the last import came from.")
    first_open_time = models.BigIntegerField(null=True, blank=True)
    last_close_time = models.BigIntegerField(null=True, blank=True)
    candles = models.BigIntegerField(default=0)
    months = models.PositiveIntegerField(default=0)
    gap_count = models.PositiveIntegerField(default=0)
    gap_minutes = models.BigIntegerField(default=0)
    longest_gap_minutes = models.BigIntegerField(default=0)
    flagged_candles = models.PositiveIntegerField(default=0)
    report = models.JSONField(
        default=dict, blank=True, help_text="Gaps, flags and timestamp-unit conversions of the store."
    )
    last_import = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
