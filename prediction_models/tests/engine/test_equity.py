"""The closed and mark-to-market balances, their drawdowns, and the certificate's profit factor without losses."""

import json

import numpy as np
import pytest

from prediction_models.engine.assets import Candles
from prediction_models.engine.equity import equity_curve, keep_extremes, largest_drawdown_pct
from prediction_models.engine.trading import extra_metrics, largest_balance_drawdown

MINUTE = 60_000
CLOSES = [100.0, 100.0, 100.0, 98.0, 101.0, 103.0, 103.0, 105.0, 106.0, 106.0]
SETTINGS = {"position_size": 100.0, "leverage": 3, "exchange_fee": 0.1}


def minutes(closes=CLOSES):
    n = len(closes)
    ot = np.arange(n) * MINUTE
    return Candles.from_arrays("hand-made", ot, ot + MINUTE - 1, closes, closes, closes, closes)


def pos(t, entry, exit_, won, balance, op=100.0):
    # Opens at the entry minute's open, closes in the exit minute (its close time).
    return {"t": t, "ot": entry * MINUTE, "ct": (exit_ + 1) * MINUTE - 1, "op": op, "o": won, "b": balance}


def test_marked_balance_values_the_open_position_at_each_close():
    backtest = {
        **SETTINGS,
        "initial_balance": 150.0,
        "positions": [pos(1, 2, 5, True, 158.5), pos(-1, 6, 8, False, 157.0, op=103.0)],
    }
    curve = equity_curve(backtest, minutes(), 0, 10 * MINUTE - 1)
    fee = 300 / 100 * 0.1
    assert curve.closed.tolist() == [150.0] * 5 + [158.5] * 3 + [157.0] * 2
    expected = [150.0, 150.0, 150.0 - fee, 150.0 + 300 * -0.02 - fee, 150.0 + 300 * 0.01 - fee, 158.5]
    expected += [158.5 - fee, 158.5 - 300 * (105 / 103 - 1) - fee, 157.0, 157.0]
    assert curve.marked == pytest.approx(expected)
    # The closed curve's deepest point is the certificate's figure when the balance fell.
    assert curve.largest_closed_drawdown == largest_balance_drawdown(150.0, [158.5, 157.0]) == -0.95
    # Marked to market, the open long dipped 2 % first: a drawdown the closed balances never show.
    assert curve.largest_marked_drawdown == round((150.0 + 300 * -0.02 - fee) / 150.0 * 100 - 100, 2)
    assert curve.largest_marked_drawdown < largest_drawdown_pct(curve.closed[:5]) == 0
    # The initial balance is the first peak: a position under water from its first minute is a drawdown.
    assert largest_drawdown_pct(curve.marked[2:4], 150.0) == curve.largest_marked_drawdown


def test_a_balance_that_never_fell_has_a_positive_certificate_figure_and_a_flat_curve():
    backtest = {
        **SETTINGS,
        "initial_balance": 150.0,
        "positions": [pos(1, 1, 2, True, 155.0), pos(1, 4, 5, True, 160.0)],
    }
    curve = equity_curve(backtest, minutes(), 0, 10 * MINUTE - 1)
    assert largest_balance_drawdown(150.0, [155.0, 160.0]) == 3.23  # the smallest rise after a balance
    assert curve.largest_closed_drawdown == 0.0 and curve.closed_drawdown.max() == 0.0


def test_the_period_clips_the_minutes():
    backtest = {**SETTINGS, "initial_balance": 150.0, "positions": []}
    curve = equity_curve(backtest, minutes(), 3 * MINUTE, 7 * MINUTE - 1)
    assert curve.times.tolist() == [3 * MINUTE, 4 * MINUTE, 5 * MINUTE, 6 * MINUTE]


def test_downsampling_keeps_the_deepest_point():
    values = np.sin(np.arange(10_001) / 37.0) - np.arange(10_001) * 1e-5
    values[4321] = -5
    kept = keep_extremes(values, max_points=500)
    assert len(kept) < 1100 and kept[0] == 0 and kept[-1] == 10_000 and 4321 in kept
    assert values[kept].min() == values.min()


def test_profit_factor_without_a_loss_is_null_with_no_losses_never_infinity():
    candles = minutes()
    winning = {"initial_balance": 150.0, "positions": [pos(1, 1, 2, True, 155.0), pos(-1, 4, 5, True, 160.0)]}
    metrics = extra_metrics(winning, candles, 0, len(candles) - 1)
    assert metrics["profit_factor"] is None and metrics["no_losses"] is True
    json.dumps(metrics, allow_nan=False)  # what Epoca parses: no Infinity, no NaN
    mixed = {"initial_balance": 150.0, "positions": [pos(1, 1, 2, True, 155.0), pos(-1, 4, 5, False, 152.5)]}
    metrics = extra_metrics(mixed, candles, 0, len(candles) - 1)
    assert metrics["profit_factor"] == pytest.approx(5.0 / 2.5) and metrics["no_losses"] is False
    empty = extra_metrics({"initial_balance": 150.0, "positions": []}, candles, 0, len(candles) - 1)
    assert empty["profit_factor"] is None and empty["no_losses"] is False


def test_exposure_is_the_share_of_the_walked_minutes_spent_in_a_position():
    candles = minutes()  # 10 minutes
    two_positions = {"initial_balance": 150.0, "positions": [pos(1, 1, 2, True, 155.0), pos(-1, 4, 6, False, 152.0)]}
    # In a position from minute 1's open to minute 2's close, and from minute 4's to minute 6's: 5 of 10.
    assert extra_metrics(two_positions, candles, 0, len(candles) - 1)["exposure_pct"] == pytest.approx(50.0)
    # The same positions over the first 8 minutes only: 5 of 8.
    assert extra_metrics(two_positions, candles, 0, 7)["exposure_pct"] == pytest.approx(62.5)
    assert extra_metrics({"initial_balance": 150.0, "positions": []}, candles, 0, 9)["exposure_pct"] == 0
