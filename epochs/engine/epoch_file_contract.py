"""What Epoca reads from an Epoch File (EPOCA_CONTRACT.md §1, §1.8, §6): keys, types and ids.

The one place these rules live: the prediction-model build checks each certificate with
:func:`built_certificate_problems`, the export, its verification and the inspector check files
with :func:`contract_problems` and :func:`id_problems`. Each check returns every problem it
found as a sentence naming the member and the field, so a caller can list them all.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeGuard

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


def _numbers(v: Any) -> TypeGuard[list[float]]:
    return isinstance(v, list) and all(_number(x) for x in v)


_TYPES: dict[str, Callable[[Any], bool]] = {
    "number": _number,
    "integer": _integer,
    "string": lambda v: isinstance(v, str),
    "object": lambda v: isinstance(v, dict),
    "list": lambda v: isinstance(v, list),
    "numbers": _numbers,
    "boolean": lambda v: isinstance(v, bool),
}
EPOCH_CONFIG_FIELDS = {
    "seed": "integer",
    "id": "string",
    "sma_window_size": "integer",
    "train_split": "number",
    "validation_split": "number",
    "start": "integer",
    "end": "integer",
    "test_ds_start": "integer",
    "test_ds_end": "integer",
    "highest_price_sma": "number",
    "lowest_price_sma": "number",
    "regression_lookback": "integer",
    "regression_predictions": "integer",
    "exchange_fee": "number",
    "position_size": "number",
    "leverage": "integer",
    "idle_minutes_on_position_close": "integer",
}
MODEL_CERTIFICATE_FIELDS = {
    "id": "string",
    "creation": "integer",
    "test_ds_start": "integer",
    "test_ds_end": "integer",
    "model": "object",
    "discovery": "object",
    "backtest": "object",
}
MODEL_CONFIG_FIELDS = {
    "id": "string",
    "price_change_requirement": "number",
    "min_sum_function": "string",
    "min_sum_adjustment_factor": "number",
    "min_increase_sum": "number",
    "min_decrease_sum": "number",
    "regressions": "list",
}
REGRESSION_CONFIG_FIELDS = {
    "id": "string",
    "description": "string",
    "lookback": "integer",
    "predictions": "integer",
    "summary": "object",
}
DISCOVERY_NUMBERS = (
    "neutral_num",
    "increase_num",
    "decrease_num",
    "neutral_outcome_num",
    "increase_outcome_num",
    "decrease_outcome_num",
    "points",
    "increase_accuracy",
    "decrease_accuracy",
    "accuracy",
)
POINTS_HIST_LENGTH = 10  # the GUI labels its x axis 10%, 20%, ... 100%
# What the GUI's discovery tables also show (§1.2); the original's files may lack them, ours always hold them.
DISCOVERY_TABLE_NUMBERS = (
    "increase_min",
    "increase_max",
    "increase_mean",
    "increase_median",
    "decrease_min",
    "decrease_max",
    "decrease_mean",
    "decrease_median",
    *(
        f"{side}_{kind}_{stat}"
        for side in ("increase", "decrease")
        for kind in ("successful", "unsuccessful")
        for stat in ("mean", "median")
    ),
)
DISCOVERY_LISTS = (
    "increase_list",
    "decrease_list",
    *(f"{side}_{kind}_list" for side in ("increase", "decrease") for kind in ("successful", "unsuccessful")),
)
BACKTEST_FIELDS = {
    "position_size": "number",
    "initial_balance": "number",
    "final_balance": "number",
    "profit": "number",
    "fees": "number",
    "leverage": "number",
    "exchange_fee": "number",
    "idle_minutes_on_position_close": "number",
    "positions": "list",
    "increase_num": "number",
    "decrease_num": "number",
    "increase_outcome_num": "number",
    "decrease_outcome_num": "number",
    "increase_accuracy": "number",
    "decrease_accuracy": "number",
    "accuracy": "number",
}
POSITION_FIELDS = {
    "t": "integer",
    "p": "object",
    "ot": "integer",
    "ct": "integer",
    "op": "number",
    "tpp": "number",
    "slp": "number",
    "cp": "number",
    "o": "boolean",
    "b": "number",
}
REGRESSION_CERTIFICATE_FIELDS = {
    "id": "string",
    "description": "string",
    "training_data_start": "integer",
    "training_data_end": "integer",
    "train_size": "integer",
    "test_size": "integer",
    "training_data_summary": "object",
    "learning_rate": "number",
    "optimizer": "string",
    "loss": "string",
    "metric": "string",
    "keras_model_config": "object",
    "training_start": "integer",
    "training_end": "integer",
    "training_history": "object",
    "test_ds_evaluation": "object",
    "discovery": "object",
    "regression_config": "object",
}
SUMMARY_KEYS = ("count", "mean", "std", "min", "25%", "50%", "75%", "max")
METRICS = ("mean_absolute_error", "mean_squared_error")


def _fields(obj: Any, spec: Mapping[str, str], where: str, problems: list[str]) -> TypeGuard[dict[str, Any]]:
    if not isinstance(obj, dict):
        problems.append(f"{where}: expected an object")
        return False
    for key, kind in spec.items():
        if key not in obj:
            problems.append(f"{where}.{key}: missing")
        elif not _TYPES[kind](obj[key]):
            problems.append(f"{where}.{key}: expected {kind}, got {obj[key]!r:.60}")
    return True


def _discovery(obj: Any, where: str, problems: list[str], ours: bool = False) -> None:
    numbers = (*DISCOVERY_NUMBERS, *DISCOVERY_TABLE_NUMBERS) if ours else DISCOVERY_NUMBERS
    if not _fields(obj, dict.fromkeys(numbers, "number"), where, problems):
        return
    hist: Any = obj.get("points_hist")
    if not _numbers(hist) or len(hist) != POINTS_HIST_LENGTH:
        problems.append(f"{where}.points_hist: expected {POINTS_HIST_LENGTH} numbers (one per tenth of the test set)")
    if ours:
        _fields(obj, dict.fromkeys(DISCOVERY_LISTS, "numbers"), where, problems)


def contract_problems(file: EpochFile) -> list[str]:
    """Every key and type of EPOCA_CONTRACT §1 the consumer reads that is missing or wrong."""
    problems: list[str] = []
    _fields(file.epoch_config, EPOCH_CONFIG_FIELDS, EPOCH_JSON, problems)
    problems += model_certificate_problems(file.model_certificate)
    for i, rc in enumerate(file.regression_certificates):
        _regression_certificate(rc, f"{REGRESSION_CERTIFICATES}[{i}]", problems)
    return problems


def model_certificate_problems(cert: Any, *, ours: bool = False, where: str = MODEL_CERTIFICATE) -> list[str]:
    """Every problem of one prediction-model certificate's content (§1.2, §1.5).

    ``ours``: a certificate of our build, which also holds what the original's files may lack
    (the discovery tables and lists, each position's ``p.r`` and ``p.s``, the drawdown).
    """
    problems: list[str] = []
    if not _fields(cert, MODEL_CERTIFICATE_FIELDS, where, problems):
        return problems
    model = cert.get("model")
    if _fields(model, MODEL_CONFIG_FIELDS, f"{where}:model", problems):
        if model.get("min_sum_function") not in ("mean", "median"):
            problems.append(f"{where}:model.min_sum_function: expected 'mean' or 'median'")
        regressions = model.get("regressions")
        if isinstance(regressions, list) and not regressions:
            problems.append(f"{where}:model.regressions: expected at least one regression")
        for i, rc in enumerate(regressions if isinstance(regressions, list) else []):
            _fields(rc, REGRESSION_CONFIG_FIELDS, f"{where}:model.regressions[{i}]", problems)
    width = len(model.get("regressions") or []) if isinstance(model, dict) else None
    _discovery(cert.get("discovery"), f"{where}:discovery", problems, ours)
    _backtest(cert.get("backtest"), width, f"{where}:backtest", problems, ours)
    holdout = cert.get("holdout")
    # The holdout is ours only; Epoca ignores it, but what is there must be sound.
    if holdout is not None and _fields(
        holdout, {"test_ds_start": "integer", "test_ds_end": "integer"}, f"{where}:holdout", problems
    ):
        if (
            _integer(holdout["test_ds_start"])
            and _integer(cert.get("test_ds_end"))
            and not holdout["test_ds_start"] > cert["test_ds_end"]
        ):
            problems.append(f"{where}:holdout.test_ds_start: must follow the selection period (test_ds_end)")
        _discovery(holdout.get("discovery"), f"{where}:holdout.discovery", problems, ours)
        _backtest(holdout.get("backtest"), width, f"{where}:holdout.backtest", problems, ours)
    return problems


def _backtest(backtest: Any, width: int | None, where: str, problems: list[str], ours: bool) -> None:
    if not _fields(backtest, BACKTEST_FIELDS, where, problems):
        return
    drawdown = backtest.get("largest_balance_drawdown")
    if ours and "largest_balance_drawdown" not in backtest:
        problems.append(f"{where}.largest_balance_drawdown: missing")
    elif drawdown is not None and not _number(drawdown):
        problems.append(f"{where}.largest_balance_drawdown: expected a number or null")
    for i, position in enumerate(backtest.get("positions") or []):
        _position(position, width, f"{where}.positions[{i}]", problems, ours)
        if len(problems) > 50:
            break


def _position(position: Any, width: int | None, where: str, problems: list[str], ours: bool = False) -> None:
    if not _fields(position, POSITION_FIELDS, where, problems):
        return
    if position.get("t") not in (1, -1):
        problems.append(f"{where}.t: expected 1 or -1")
    prediction = position.get("p")
    spec = {"t": "integer", "f": "numbers", **({"r": "integer", "s": "number"} if ours else {})}
    if _fields(prediction, spec, f"{where}.p", problems):
        if "r" in prediction and prediction["r"] not in (1, 0, -1):
            problems.append(f"{where}.p.r: expected 1, 0 or -1")
        features = prediction.get("f")
        if width is not None and _numbers(features) and len(features) != width:
            problems.append(f"{where}.p.f: expected {width} features (one per model.regressions entry)")
        # The builder's positions leave s out (the GUI sums f); where it is given it must be that sum.
        if "s" in prediction and _numbers(features) and prediction["s"] != round(sum(features), 6):
            problems.append(f"{where}.p.s: expected the sum of f rounded to 6 decimals")


def _regression_certificate(rc: Any, where: str, problems: list[str]) -> None:
    if not _fields(rc, REGRESSION_CERTIFICATE_FIELDS, where, problems):
        return
    if rc.get("optimizer") not in ("Adam", "RMSprop"):
        problems.append(f"{where}.optimizer: expected 'Adam' or 'RMSprop'")
    for key in ("loss", "metric"):
        if rc.get(key) not in METRICS:
            problems.append(f"{where}.{key}: expected one of {list(METRICS)}")
    _fields(
        rc.get("training_data_summary"),
        dict.fromkeys(SUMMARY_KEYS, "number"),
        f"{where}.training_data_summary",
        problems,
    )
    kmc = rc.get("keras_model_config")
    if _fields(kmc, {"name": "string"}, f"{where}.keras_model_config", problems) and not isinstance(
        kmc.get("units"), list
    ):
        problems.append(f"{where}.keras_model_config.units: must be a list (the GUI joins it)")
    metric: Any = rc.get("metric") if rc.get("metric") in METRICS else "mean_absolute_error"
    _fields(
        rc.get("training_history"),
        dict.fromkeys(("loss", "val_loss", metric, f"val_{metric}"), "numbers"),
        f"{where}.training_history",
        problems,
    )
    _fields(rc.get("test_ds_evaluation"), dict.fromkeys(METRICS, "number"), f"{where}.test_ds_evaluation", problems)
    _discovery(rc.get("discovery"), f"{where}.discovery", problems)
    _fields(rc.get("regression_config"), REGRESSION_CONFIG_FIELDS, f"{where}.regression_config", problems)


# ---------------------------------------------------------------------------- ids (§1.8, §6.4)


def id_problems(
    epoch_config: Mapping, model_certificate: Mapping, regression_certificates: Sequence[Mapping]
) -> list[str]:
    """Id rules Epoca and its GUI apply: epoch id, 30-200 character model ids, no ``KR_`` in the
    prediction model's id, unique regression ids, each model regression certified."""
    problems: list[str] = []
    try:
        validate_epoch_id(epoch_config.get("id"))
    except EpochParameterError as exc:
        problems.append(f"epoch id {epoch_config.get('id')!r}: {exc}")
    problems += model_id_problems(model_certificate)
    model = model_certificate.get("model") or {}
    certified: list[Any] = [c.get("id") for c in regression_certificates]
    duplicates = sorted({i for i in certified if certified.count(i) > 1})
    if duplicates:
        problems.append(f"regression certificates: duplicate id(s) {duplicates} (Epoca's install would roll back)")
    regression_ids = [r.get("id") for r in model.get("regressions", [])]
    if set(certified) != set(regression_ids) or len(certified) != len(regression_ids):
        problems.append("regression certificates: expected exactly one per model.regressions entry")
    return problems


def model_id_problems(model_certificate: Mapping, epoch_id: str | None = None) -> list[str]:
    """The ids of one prediction-model certificate: 30-200 characters each, no ``KR_`` in the
    model's, ``model.id`` equal to it; with ``epoch_id``, our build's ``<EPOCH_ID>_<32 hex>``."""
    problems: list[str] = []
    model_id = model_certificate.get("id")
    model = model_certificate.get("model") or {}
    regressions = model.get("regressions") if isinstance(model, dict) else None
    ids = [("prediction model", model_id)] + [
        ("regression", r.get("id") if isinstance(r, dict) else None)
        for r in (regressions if isinstance(regressions, list) else [])
    ]
    for kind, value in ids:
        if not isinstance(value, str) or not MODEL_ID_MIN <= len(value) <= MODEL_ID_MAX:
            problems.append(f"{kind} id {value!r}: must be {MODEL_ID_MIN}-{MODEL_ID_MAX} characters")
    if isinstance(model_id, str) and "KR_" in model_id:
        problems.append(f"prediction model id {model_id!r}: must not contain 'KR_' (the GUI reads it as a regression)")
    if isinstance(model, dict) and model.get("id") != model_id:
        problems.append(f"prediction model id {model_id!r}: model.id is {model.get('id')!r}")
    if epoch_id is not None and not (
        isinstance(model_id, str) and re.fullmatch(re.escape(epoch_id) + r"_[0-9a-f]{32}", model_id)
    ):
        problems.append(f"prediction model id {model_id!r}: must be {epoch_id}_<32 hex>")
    return problems


def built_certificate_problems(cert: Any, epoch_id: str) -> list[str]:
    """Every problem of a certificate our build made for ``epoch_id``: its ids and its content."""
    if not isinstance(cert, dict):
        return ["certificate: expected an object"]
    return model_id_problems(cert, epoch_id) + model_certificate_problems(cert, ours=True, where="certificate")
