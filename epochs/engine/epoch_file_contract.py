"""What Epoca reads from an Epoch File (EPOCA_CONTRACT.md §1, §1.8, §6): keys, types and ids.

Each check returns the problems it found as sentences naming the member and the field, so a
verification or an inspection can list them all.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

from .epoch_params import validate_epoch_id
from .errors import EpochParameterError

if TYPE_CHECKING:
    from pipeline.engine.epoch_file import EpochFile

EPOCH_JSON = "epoch.json"
MODEL_CERTIFICATE = "prediction_model_certificate.json"
REGRESSION_CERTIFICATES = "regression_certificates.json"
MODEL_ID_MIN, MODEL_ID_MAX = 30, 200  # every model id (regression or prediction model)



def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _integer(v: Any) -> bool:
    return _number(v) and float(v).is_integer()


def _numbers(v: Any) -> bool:
    return isinstance(v, list) and all(_number(x) for x in v)


_TYPES: dict[str, Callable[[Any], bool]] = {
    "number": _number, "integer": _integer, "string": lambda v: isinstance(v, str), "object": lambda v: isinstance(v, dict),
    "list": lambda v: isinstance(v, list), "numbers": _numbers, "boolean": lambda v: isinstance(v, bool),
}
EPOCH_CONFIG_FIELDS = {
    "seed": "integer", "id": "string", "sma_window_size": "integer", "train_split": "number",
    "validation_split": "number", "start": "integer", "end": "integer", "test_ds_start": "integer",
    "test_ds_end": "integer", "highest_price_sma": "number", "lowest_price_sma": "number",
    "regression_lookback": "integer", "regression_predictions": "integer", "exchange_fee": "number",
    "position_size": "number", "leverage": "integer", "idle_minutes_on_position_close": "integer",
}
MODEL_CERTIFICATE_FIELDS = {
    "id": "string", "creation": "integer", "test_ds_start": "integer", "test_ds_end": "integer",
    "model": "object", "discovery": "object", "backtest": "object",
}
MODEL_CONFIG_FIELDS = {
    "id": "string", "price_change_requirement": "number", "min_sum_function": "string",
    "min_sum_adjustment_factor": "number", "min_increase_sum": "number", "min_decrease_sum": "number",
    "regressions": "list",
}
REGRESSION_CONFIG_FIELDS = {"id": "string", "description": "string", "lookback": "integer", "predictions": "integer", "summary": "object"}
DISCOVERY_NUMBERS = (
    "neutral_num", "increase_num", "decrease_num", "neutral_outcome_num", "increase_outcome_num",
    "decrease_outcome_num", "points", "increase_accuracy", "decrease_accuracy", "accuracy",
)
BACKTEST_FIELDS = {
    "position_size": "number", "initial_balance": "number", "final_balance": "number", "profit": "number",
    "fees": "number", "leverage": "number", "exchange_fee": "number", "idle_minutes_on_position_close": "number",
    "positions": "list", "increase_num": "number", "decrease_num": "number", "increase_outcome_num": "number",
    "decrease_outcome_num": "number", "increase_accuracy": "number", "decrease_accuracy": "number", "accuracy": "number",
}
POSITION_FIELDS = {"t": "integer", "p": "object", "ot": "integer", "ct": "integer", "op": "number", "tpp": "number",
                   "slp": "number", "cp": "number", "o": "boolean", "b": "number"}
REGRESSION_CERTIFICATE_FIELDS = {
    "id": "string", "description": "string", "training_data_start": "integer", "training_data_end": "integer",
    "train_size": "integer", "test_size": "integer", "training_data_summary": "object", "learning_rate": "number",
    "optimizer": "string", "loss": "string", "metric": "string", "keras_model_config": "object",
    "training_start": "integer", "training_end": "integer", "training_history": "object",
    "test_ds_evaluation": "object", "discovery": "object", "regression_config": "object",
}
SUMMARY_KEYS = ("count", "mean", "std", "min", "25%", "50%", "75%", "max")
METRICS = ("mean_absolute_error", "mean_squared_error")


def _fields(obj: Any, spec: Mapping[str, str], where: str, problems: list[str]) -> bool:
    if not isinstance(obj, dict):
        problems.append(f"{where}: expected an object")
        return False
    for key, kind in spec.items():
        if key not in obj:
            problems.append(f"{where}.{key}: missing")
        elif not _TYPES[kind](obj[key]):
            problems.append(f"{where}.{key}: expected {kind}, got {obj[key]!r:.60}")
    return True


def _discovery(obj: Any, where: str, problems: list[str]) -> None:
    if not _fields(obj, {k: "number" for k in DISCOVERY_NUMBERS}, where, problems):
        return
    hist = obj.get("points_hist")
    if not _numbers(hist) or len(hist) != 10:
        problems.append(f"{where}.points_hist: expected 10 numbers (one per tenth of the test set)")


def contract_problems(file: EpochFile) -> list[str]:
    """Every key and type of EPOCA_CONTRACT §1 the consumer reads that is missing or wrong."""
    problems: list[str] = []
    _fields(file.epoch_config, EPOCH_CONFIG_FIELDS, EPOCH_JSON, problems)
    cert = file.model_certificate
    where = MODEL_CERTIFICATE
    if _fields(cert, MODEL_CERTIFICATE_FIELDS, where, problems):
        model = cert.get("model")
        if _fields(model, MODEL_CONFIG_FIELDS, f"{where}:model", problems):
            if model.get("min_sum_function") not in ("mean", "median"):
                problems.append(f"{where}:model.min_sum_function: expected 'mean' or 'median'")
            for i, rc in enumerate(model.get("regressions") or []):
                _fields(rc, REGRESSION_CONFIG_FIELDS, f"{where}:model.regressions[{i}]", problems)
        _discovery(cert.get("discovery"), f"{where}:discovery", problems)
        backtest = cert.get("backtest")
        if _fields(backtest, BACKTEST_FIELDS, f"{where}:backtest", problems):
            drawdown = backtest.get("largest_balance_drawdown")
            if drawdown is not None and not _number(drawdown):
                problems.append(f"{where}:backtest.largest_balance_drawdown: expected a number or null")
            width = len(model.get("regressions") or []) if isinstance(model, dict) else None
            for i, position in enumerate(backtest.get("positions") or []):
                _position(position, width, f"{where}:backtest.positions[{i}]", problems)
                if len(problems) > 50:
                    break
    for i, rc in enumerate(file.regression_certificates):
        _regression_certificate(rc, f"{REGRESSION_CERTIFICATES}[{i}]", problems)
    return problems


def _position(position: Any, width: int | None, where: str, problems: list[str]) -> None:
    if not _fields(position, POSITION_FIELDS, where, problems):
        return
    if position.get("t") not in (1, -1):
        problems.append(f"{where}.t: expected 1 or -1")
    prediction = position.get("p")
    if _fields(prediction, {"t": "integer", "f": "numbers"}, f"{where}.p", problems):
        if "r" in prediction and prediction["r"] not in (1, 0, -1):
            problems.append(f"{where}.p.r: expected 1, 0 or -1")
        if width is not None and _numbers(prediction.get("f")) and len(prediction["f"]) != width:
            problems.append(f"{where}.p.f: expected {width} features (one per model.regressions entry)")


def _regression_certificate(rc: Any, where: str, problems: list[str]) -> None:
    if not _fields(rc, REGRESSION_CERTIFICATE_FIELDS, where, problems):
        return
    if rc.get("optimizer") not in ("Adam", "RMSprop"):
        problems.append(f"{where}.optimizer: expected 'Adam' or 'RMSprop'")
    for key in ("loss", "metric"):
        if rc.get(key) not in METRICS:
            problems.append(f"{where}.{key}: expected one of {list(METRICS)}")
    _fields(rc.get("training_data_summary"), {k: "number" for k in SUMMARY_KEYS}, f"{where}.training_data_summary", problems)
    kmc = rc.get("keras_model_config")
    if _fields(kmc, {"name": "string"}, f"{where}.keras_model_config", problems) and not isinstance(kmc.get("units"), list):
        problems.append(f"{where}.keras_model_config.units: must be a list (the GUI joins it)")
    metric = rc.get("metric") if rc.get("metric") in METRICS else "mean_absolute_error"
    _fields(rc.get("training_history"), {k: "numbers" for k in ("loss", "val_loss", metric, f"val_{metric}")},
            f"{where}.training_history", problems)
    _fields(rc.get("test_ds_evaluation"), {k: "number" for k in METRICS}, f"{where}.test_ds_evaluation", problems)
    _discovery(rc.get("discovery"), f"{where}.discovery", problems)
    _fields(rc.get("regression_config"), REGRESSION_CONFIG_FIELDS, f"{where}.regression_config", problems)


# ---------------------------------------------------------------------------- ids (§1.8, §6.4)

def id_problems(epoch_config: Mapping, model_certificate: Mapping, regression_certificates: Sequence[Mapping]) -> list[str]:
    """Id rules Epoca and its GUI apply: epoch id, 30-200 character model ids, no ``KR_`` in the
    prediction model's id, unique regression ids, each model regression certified."""
    problems: list[str] = []
    try:
        validate_epoch_id(epoch_config.get("id"))
    except EpochParameterError as exc:
        problems.append(f"epoch id {epoch_config.get('id')!r}: {exc}")
    model_id = model_certificate.get("id")
    model = model_certificate.get("model") or {}
    ids = [("prediction model", model_id)] + [("regression", r.get("id")) for r in model.get("regressions", [])]
    for kind, value in ids:
        if not isinstance(value, str) or not MODEL_ID_MIN <= len(value) <= MODEL_ID_MAX:
            problems.append(f"{kind} id {value!r}: must be {MODEL_ID_MIN}-{MODEL_ID_MAX} characters")
    if isinstance(model_id, str) and "KR_" in model_id:
        problems.append(f"prediction model id {model_id!r}: must not contain 'KR_' (the GUI reads it as a regression)")
    if model.get("id") != model_id:
        problems.append(f"prediction model id {model_id!r}: model.id is {model.get('id')!r}")
    certified = [c.get("id") for c in regression_certificates]
    duplicates = sorted({i for i in certified if certified.count(i) > 1})
    if duplicates:
        problems.append(f"regression certificates: duplicate id(s) {duplicates} (Epoca's install would roll back)")
    regression_ids = [r.get("id") for r in model.get("regressions", [])]
    if set(certified) != set(regression_ids) or len(certified) != len(regression_ids):
        problems.append("regression certificates: expected exactly one per model.regressions entry")
    return problems
