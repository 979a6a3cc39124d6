"""A built model's certificate that meets the Epoca contract, for the contract's and the metrics' tests."""

from epochs.engine import epoch_file_contract as contract

EPOCH_ID = "_EROS3"
MODEL_ID = f"{EPOCH_ID}_{'a' * 32}"
REGRESSION_IDS = [f"KR_DNN_S2_{c * 32}" for c in "bc"]


def _discovery() -> dict:
    numbers = dict.fromkeys((*contract.DISCOVERY_NUMBERS, *contract.DISCOVERY_TABLE_NUMBERS), 1.0)
    return {
        **numbers,
        "points_hist": [0.0] * contract.POINTS_HIST_LENGTH,
        **{k: [1.0] for k in contract.DISCOVERY_LISTS},
    }


def _backtest() -> dict:
    position = {
        "t": 1,
        "p": {"t": 1, "r": 1, "f": [1.25, 2.5], "s": 3.75},
        "ot": 1,
        "ct": 2,
        "op": 1.0,
        "tpp": 1.1,
        "slp": 0.9,
        "cp": 1.1,
        "o": False,
        "b": 15000.0,
    }
    numbers = {k: 1.0 for k, kind in contract.BACKTEST_FIELDS.items() if kind == "number"}
    return {**numbers, "positions": [position], "largest_balance_drawdown": -1.0}


def certificate() -> dict:
    regressions = [
        {"id": rid, "description": "d", "lookback": 128, "predictions": 32, "summary": {}} for rid in REGRESSION_IDS
    ]
    return {
        "id": MODEL_ID,
        "creation": 1,
        "test_ds_start": 10,
        "test_ds_end": 20,
        "model": {
            "id": MODEL_ID,
            "price_change_requirement": 3,
            "min_sum_function": "mean",
            "min_sum_adjustment_factor": 1,
            "min_increase_sum": 1.0,
            "min_decrease_sum": -1.0,
            "regressions": regressions,
        },
        "discovery": _discovery(),
        "backtest": _backtest(),
        "holdout": {"test_ds_start": 21, "test_ds_end": 30, "discovery": _discovery(), "backtest": _backtest()},
    }
