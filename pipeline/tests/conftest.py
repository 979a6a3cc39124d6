"""Fixtures of the pipeline tests."""
from epochs.tests.conftest import candle_set  # noqa: F401  (real candles imported through the job system)
