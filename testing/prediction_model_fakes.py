"""Built prediction models with hand-made certificates (no training), for the report, list and API tests."""

from __future__ import annotations

import json

import numpy as np

from epochs.services.paths import epoch_dir
from prediction_models.engine.assets import Candles, PredictionModelAssets, save_assets
from prediction_models.engine.ebe import prediction_model_evaluation
from prediction_models.engine.metrics import certificate_columns
from prediction_models.engine.report import positions_fingerprint
from prediction_models.engine.trading import largest_balance_drawdown
from prediction_models.models import PredictionModel, PredictionModelSearch, ProfitableConfig
from prediction_models.services.paths import assets_dir
from regressions.models import RegressionSelection

MINUTE = 60_000
START = 1_612_137_600_000  # 2021-02-01 00:00 UTC


def position(t, ot_minutes, ct_minutes, won, balance, f=(0.5, 0.25)):
    return {
        "t": t,
        "p": {"r": 0, "t": START + ot_minutes * MINUTE, "f": list(f), "s": round(sum(f), 6)},
        "ot": START + ot_minutes * MINUTE,
        "ct": START + ct_minutes * MINUTE - 1,
        "op": 100.0,
        "tpp": 103.0 if t == 1 else 97.0,
        "slp": 97.0 if t == 1 else 103.0,
        "cp": 103.0 if won == (t == 1) else 97.0,
        "o": won,
        "b": balance,
    }


def backtest(positions, initial=1000.0):
    longs = [p for p in positions if p["t"] == 1]
    shorts = [p for p in positions if p["t"] == -1]

    def acc(ps):
        return round(sum(p["o"] for p in ps) / len(ps) * 100, 2) if ps else 0

    return {
        "position_size": 100.0,
        "initial_balance": initial,
        "final_balance": positions[-1]["b"] if positions else initial,
        "profit": (positions[-1]["b"] if positions else initial) - initial,
        "fees": 1.5,
        "leverage": 3,
        "exchange_fee": 0.065,
        "idle_minutes_on_position_close": 0,
        "largest_balance_drawdown": largest_balance_drawdown(initial, [p["b"] for p in positions]),
        "positions": positions,
        "increase_num": len(longs),
        "decrease_num": len(shorts),
        "increase_outcome_num": sum(p["o"] for p in longs),
        "decrease_outcome_num": sum(p["o"] for p in shorts),
        "increase_accuracy": acc(longs),
        "decrease_accuracy": acc(shorts),
        "accuracy": acc(positions),
    }


DISCOVERY = {
    "points": 12,
    "accuracy": 60,
    "increase_accuracy": 62,
    "decrease_accuracy": 58,
    "increase_num": 20,
    "decrease_num": 20,
    "neutral_num": 3,
    "increase_outcome_num": 21,
    "decrease_outcome_num": 19,
    "neutral_outcome_num": 3,
    "points_hist": [1, 3, 4, 6, 7, 8, 9, 10, 11, 12],
    **{f"increase_{stat}": value for stat, value in (("min", 0.71), ("mean", 0.78), ("median", 0.77), ("max", 0.9))},
    **{f"decrease_{stat}": value for stat, value in (("min", -0.95), ("mean", -0.8), ("median", -0.79), ("max", -0.7))},
    "increase_successful_mean": 0.8,
    "decrease_successful_mean": -0.82,
}


def fake_model(epoch, search, index: int, positions, *, profit_factor=None) -> PredictionModel:
    model_id = f"{epoch.id}_{index:032x}"
    bt = backtest(positions)
    cert = {
        "id": model_id,
        "creation": START,
        "test_ds_start": START,
        "test_ds_end": START + 86_400_000 * 60,
        "model": {
            "id": model_id,
            "regressions": [],
            "price_change_requirement": 3,
            "min_sum_function": "mean",
            "min_sum_adjustment_factor": 1,
            "min_increase_sum": 0.7,
            "min_decrease_sum": -0.7,
        },
        "discovery": DISCOVERY,
        "backtest": bt,
        "metrics": {
            "profit_factor": profit_factor,
            "no_losses": profit_factor is None and bool(positions),
            "exposure_pct": 1.5,
            "buy_and_hold_pct": 4.0,
            "sharpe_ratio": None,
        },
        "holdout": None,
    }
    relative = f"prediction_models/certificates/{model_id}.json"
    path = epoch_dir(epoch.id) / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(cert))
    config = ProfitableConfig.objects.create(
        search=search,
        config_index=index,
        regression_ids=[],
        price_change_requirement=3,
        min_sum_function="mean",
        min_sum_adjustment_factor=1,
        profit=bt["profit"],
        accuracy=bt["accuracy"],
        positions=len(positions),
        final_balance=bt["final_balance"],
    )
    ebe = prediction_model_evaluation(cert)
    return PredictionModel.objects.create(
        id=model_id,
        search=search,
        profitable_config=config,
        rank=index + 1,
        certificate_file=relative,
        **certificate_columns(cert),
        ebe_points=ebe["points"],
        ebe_state=ebe["state"],
        positions_fingerprint=positions_fingerprint(bt),
    )


def fake_search(epoch) -> PredictionModelSearch:
    selection = RegressionSelection.objects.create(epoch=epoch, name="fake", mode="manual", size=0)
    return PredictionModelSearch.objects.create(epoch=epoch, selection=selection, status="built")


def fake_assets(search, *, days: int = 60, warmup_minutes: int = 32 * 60) -> None:
    """The search's selection-period 1-minute candles (a gentle wave around 100 USDT), from a
    warm-up before ``START`` (as the real assets start at the first lookback) to ``days`` after it."""
    n = warmup_minutes + days * 1440
    ot = START - warmup_minutes * MINUTE + np.arange(n, dtype=np.int64) * MINUTE
    close = 100 + 2 * np.sin(np.arange(n) / 2000.0)
    minutes = Candles.from_arrays("fake", ot, ot + MINUTE - 1, close, close + 0.2, close - 0.2, close)
    folder = assets_dir(search)
    folder.mkdir(parents=True, exist_ok=True)
    save_assets(
        PredictionModelAssets((), np.zeros((0, 0)), {3.0: np.zeros(0, np.int8)}, minutes, np.zeros(n, np.int64)), folder
    )
