"""Daily realised balance returns of one backtest on a common calendar.

Every config's series is aligned on the same days of the selection period, so that the
statistics compare configs day by day: the return of day ``d`` is the balance after the last
position closed that day over the balance at the end of the day before, minus one; a day
without a close returns 0.
"""

from __future__ import annotations

import numpy as np

from prediction_models.engine.overfitting.null import DAY_MS


def day_starts(start_ms: int, end_ms: int) -> np.ndarray:
    """UTC midnights of the days that ``[start_ms, end_ms]`` touches (the common calendar)."""
    if end_ms < start_ms:
        raise ValueError(f"period ends ({end_ms}) before it starts ({start_ms})")
    first, last = int(start_ms) // DAY_MS, int(end_ms) // DAY_MS
    return np.arange(first, last + 1, dtype=np.int64) * DAY_MS


def daily_returns(
    close_times_ms: np.ndarray, balances: np.ndarray, initial_balance: float, days: np.ndarray
) -> np.ndarray:
    """Returns per day of ``days`` (ascending day starts, ms) of a backtest whose positions closed
    at ``close_times_ms`` (ascending) leaving ``balances`` (the certificate's ``ct`` and ``b``)."""
    close = np.asarray(close_times_ms, dtype=np.int64)
    balances = np.asarray(balances, dtype=np.float64)
    days = np.asarray(days, dtype=np.int64)
    if close.shape != balances.shape:
        raise ValueError(f"{close.size} close times for {balances.size} balances")
    if close.size and (close[0] < days[0] or close[-1] >= days[-1] + DAY_MS):
        raise ValueError("a position closes outside the calendar's days")
    if initial_balance <= 0:
        raise ValueError(f"initial balance must be positive, got {initial_balance}")
    day_of = np.searchsorted(days, close, side="right") - 1
    end_balance = np.full(days.size, np.nan)
    end_balance[day_of] = balances  # the last close of a day wins (closes are ascending)
    # Carry the balance forward through days without a close.
    filled = np.where(np.isnan(end_balance), 0, 1)
    idx = np.where(filled, np.arange(days.size), -1)
    np.maximum.accumulate(idx, out=idx)
    eod = np.where(idx >= 0, end_balance[np.maximum(idx, 0)], initial_balance)
    previous = np.r_[initial_balance, eod[:-1]]
    # After a ruined balance (<= 0) nothing more can be lost: those days return 0.
    ruined = previous <= 0
    return np.where(ruined, 0.0, eod / np.where(ruined, 1.0, previous) - 1.0)


def buy_and_hold_returns(
    close_times_ms: np.ndarray, close_prices: np.ndarray, first_open: float, days: np.ndarray
) -> np.ndarray:
    """The asset's daily returns on ``days`` when bought at ``first_open`` (the period's first
    candle's open) and held: each day's last close over the day before's (the SPA's
    buy-and-hold benchmark; unlevered)."""
    return daily_returns(close_times_ms, close_prices, first_open, days)
