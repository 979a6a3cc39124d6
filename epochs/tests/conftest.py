"""Fixtures for the epochs app: a candle store imported from the real Binance dumps."""
import pytest
from django.conf import settings

from testing.candles import SMALL_RANGE, import_months


@pytest.fixture
def candle_set(db):
    """The store on disk lasts the whole run (later imports skip verified months); the row is per test."""
    if not settings.BINANCE_MIRROR_DIR.exists():
        pytest.skip(f"real candles not found at {settings.BINANCE_MIRROR_DIR} (set BINANCE_MIRROR_DIR)")
    return import_months(*SMALL_RANGE)[0]
