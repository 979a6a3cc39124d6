"""A candle store imported from the real Binance dumps (``BINANCE_MIRROR_DIR``)."""

import pytest
from django.conf import settings

from cluster.choices import JobStatus
from cluster.jobs.cli import run_inline

# Three real months are enough for small epochs (1 month wide, 15-minute candles).
SMALL_RANGE = ("2021-01", "2021-03")


def import_months(start: str, end: str, name: str = "binance-btcusdt"):
    from epochs.models import CandlestickSet
    from epochs.services.candles import candle_import_enqueue

    job = run_inline(
        candle_import_enqueue(
            start_month=start, end_month=end, source=str(settings.BINANCE_MIRROR_DIR), name=name, inline=True
        )
    )
    assert job.status == JobStatus.SUCCEEDED, job.error
    return CandlestickSet.objects.get(name=name), job


@pytest.fixture
def candle_set(db):
    """The real months SMALL_RANGE imported through the job system. The store on disk lasts the
    whole run (later imports skip verified months); the row is per test."""
    if not settings.BINANCE_MIRROR_DIR.exists():
        pytest.skip(f"real candles not found at {settings.BINANCE_MIRROR_DIR} (set BINANCE_MIRROR_DIR)")
    return import_months(*SMALL_RANGE)[0]
