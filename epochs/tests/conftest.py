"""Fixtures for the epochs app: a candle store imported from the real Binance dumps (testing.candles)."""
