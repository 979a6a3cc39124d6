"""The prediction-model certificate Epoca reads (EPOCA_CONTRACT.md §1.2, §1.5): shape checks."""
from __future__ import annotations

import math
import re
from collections.abc import Iterable
from numbers import Number
from typing import Any

DISCOVERY_NUMBERS = (
    "neutral_num", "increase_num", "decrease_num", "neutral_outcome_num", "increase_outcome_num", "decrease_outcome_num",
    "points", "increase_accuracy", "decrease_accuracy", "accuracy", "increase_min", "increase_max", "increase_mean",
    "increase_median", "decrease_min", "decrease_max", "decrease_mean", "decrease_median",
    *(f"{side}_{kind}_{stat}" for side in ("increase", "decrease") for kind in ("successful", "unsuccessful")
      for stat in ("mean", "median")),
)
DISCOVERY_LISTS = ("points_hist", "increase_list", "decrease_list", *(
    f"{side}_{kind}_list" for side in ("increase", "decrease") for kind in ("successful", "unsuccessful")))
BACKTEST_NUMBERS = (
    "position_size", "initial_balance", "final_balance", "profit", "fees", "leverage", "exchange_fee",
    "idle_minutes_on_position_close", "increase_num", "decrease_num", "increase_outcome_num", "decrease_outcome_num",
    "increase_accuracy", "decrease_accuracy", "accuracy", "largest_balance_drawdown",
)
POSITION_NUMBERS = ("ot", "ct", "op", "tpp", "slp", "cp", "b")
MODEL_NUMBERS = ("price_change_requirement", "min_sum_adjustment_factor", "min_increase_sum", "min_decrease_sum")
REGRESSION_KEYS = ("id", "description", "lookback", "predictions", "summary")


class CertificateError(ValueError):
    """A certificate that does not match what Epoca reads."""


def _number(value: Any) -> bool:
    return isinstance(value, Number) and not isinstance(value, bool) and math.isfinite(value)  # type: ignore[arg-type]  # JSON numbers are real


def _require(condition: object, where: str, rule: str) -> None:
    if not condition:
        raise CertificateError(f"{where}: {rule}")


def _numbers(obj: Any, keys: Iterable[str], where: str) -> None:
    _require(isinstance(obj, dict), where, "must be an object")
    for key in keys:
        _require(key in obj, f"{where}.{key}", "missing")
        _require(_number(obj[key]), f"{where}.{key}", f"must be a finite number, got {obj[key]!r}")


def validate_discovery(discovery: Any, where: str) -> None:
    _numbers(discovery, DISCOVERY_NUMBERS, where)
    for key in DISCOVERY_LISTS:
        _require(isinstance(discovery.get(key), list) and all(_number(v) for v in discovery[key]),
                 f"{where}.{key}", "must be a list of numbers")
    _require(len(discovery["points_hist"]) == 10, f"{where}.points_hist", "must hold 10 values")


def validate_backtest(backtest: Any, where: str, regressions: int) -> None:
    _numbers(backtest, BACKTEST_NUMBERS, where)
    _require(isinstance(backtest.get("positions"), list), f"{where}.positions", "must be a list")
    for i, position in enumerate(backtest["positions"]):
        at = f"{where}.positions[{i}]"
        _numbers(position, POSITION_NUMBERS, at)
        _require(position.get("t") in (1, -1), f"{at}.t", "must be 1 or -1")
        _require(isinstance(position.get("o"), bool), f"{at}.o", "must be a boolean")
        prediction = position.get("p")
        _numbers(prediction, ("t", "s"), f"{at}.p")
        _require(prediction.get("r") in (1, 0, -1), f"{at}.p.r", "must be 1, 0 or -1")
        f = prediction.get("f")
        _require(isinstance(f, list) and len(f) == regressions and all(_number(v) for v in f), f"{at}.p.f",
                 f"must hold {regressions} numbers, one per regression")
        _require(prediction["s"] == round(sum(f), 6), f"{at}.p.s", "must be the sum of f rounded to 6 decimals")


def validate_certificate(cert: dict, epoch_id: str) -> None:
    """Raise :class:`CertificateError` naming the first key that Epoca would misread."""
    cid: Any = cert.get("id")
    _require(isinstance(cid, str) and 30 <= len(cid) <= 200, "id", f"must be a string of 30-200 characters, got {cid!r}")
    _require(re.fullmatch(re.escape(epoch_id) + r"_[0-9a-f]{32}", cid) is not None and "KR_" not in cid, "id",
             f"must be {epoch_id}_<32 hex> without 'KR_'")
    _numbers(cert, ("creation", "test_ds_start", "test_ds_end"), "certificate")
    model: Any = cert.get("model")
    _numbers(model, MODEL_NUMBERS, "model")
    _require(model.get("id") == cid, "model.id", "must equal the certificate id")
    _require(model.get("min_sum_function") in ("mean", "median"), "model.min_sum_function", "must be mean or median")
    regressions = model.get("regressions")
    _require(isinstance(regressions, list) and regressions, "model.regressions", "must be a non-empty list")
    for i, regression in enumerate(regressions):
        at = f"model.regressions[{i}]"
        _require(isinstance(regression, dict) and all(k in regression for k in REGRESSION_KEYS), at,
                 f"must hold {REGRESSION_KEYS}")
        _require(isinstance(regression["id"], str) and 30 <= len(regression["id"]) <= 200, f"{at}.id", "must be 30-200 characters")
        _require(isinstance(regression["summary"], dict), f"{at}.summary", "must be an object")
    validate_discovery(cert.get("discovery"), "discovery")
    validate_backtest(cert.get("backtest"), "backtest", len(regressions))
    holdout = cert.get("holdout")
    if holdout is not None:
        _numbers(holdout, ("test_ds_start", "test_ds_end"), "holdout")
        _require(holdout["test_ds_start"] > cert["test_ds_end"], "holdout.test_ds_start", "must follow the selection period")
        validate_discovery(holdout.get("discovery"), "holdout.discovery")
        validate_backtest(holdout.get("backtest"), "holdout.backtest", len(regressions))
