"""Epoch parameters: each one declared once (name, type, default, range, stage, help).

The model's fields and validators, the page's form, the API's serializer, ``create_epoch``'s
arguments, the engine's checks and the training and trading settings are all derived from
``PARAMS``: adding a parameter means adding it here (and a migration for its column).

Numbers are accepted as numbers or numeric strings (form input); float fields take any float
in range (the original's ``str.isdigit`` check made fractional values impossible to set).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .candles import PREDICTION_INTERVALS_MINUTES
from .errors import EpochParameterError

ID_MIN_LENGTH, ID_MAX_LENGTH = 4, 100
_ID_CHARS = re.compile(r"[A-Z0-9_]+")

# Which part of the pipeline reads a parameter.
EPOCH, REGRESSIONS, PREDICTION_MODELS = "epoch", "regressions", "prediction_models"
STAGES = (EPOCH, REGRESSIONS, PREDICTION_MODELS)
MAX_TIME_MS = 4_102_444_800_000  # 2100-01-01: any time in ms beyond is a mistake


@dataclass(frozen=True)
class Param:
    """One epoch parameter. ``kind`` is int, float, bool, str or list (of ``item``)."""

    name: str
    kind: type
    default: Any
    stage: str
    help: str = ""
    low: float | None = None  # inclusive bounds of a number, or of each item of a list
    high: float | None = None
    choices: tuple = ()  # the allowed values (of each item of a list)
    item: type | None = None  # a list's item kind
    max_length: int | None = None  # of a string, or of a list (items)
    nullable: bool = False  # None is allowed (and the default)
    engine: str | None = None  # the name in EpochParams (and epoch.json) when the engine checks it
    on_form: bool = True  # shown on the epoch page's form
    label: str = ""
    unit: str = ""  # of each choice, as lists of choices show them ("15 minutes")

    def __post_init__(self) -> None:
        if self.stage not in STAGES:
            raise ValueError(f"parameter {self.name}: stage must be one of {STAGES}, got {self.stage!r}")
        if (self.kind is list) != (self.item is not None):
            raise ValueError(f"parameter {self.name}: a list needs its item kind, and only a list has one")

    @property
    def bounded(self) -> bool:
        return self.low is not None and self.high is not None

    def copy_default(self) -> Any:
        """The default, a fresh list for list parameters (never shared between rows)."""
        return list(self.default) if isinstance(self.default, (list, tuple)) else self.default


PARAMS: tuple[Param, ...] = (
    # The original's parameters (ORIGINAL.md §2.1), same defaults and ranges (width down to 1 month).
    Param("seed", int, 60184, EPOCH, low=1, high=100_000_000, engine="seed"),
    Param("epoch_width", int, 48, EPOCH, "Months of 30 days.", low=1, high=80, engine="epoch_width"),
    Param("sma_window_size", int, 25, EPOCH, low=10, high=300, engine="sma_window_size", label="SMA window size"),
    Param("train_split", float, 0.75, EPOCH, low=0.6, high=0.95, engine="train_split"),
    Param("validation_split", float, 0.2, EPOCH, low=0.15, high=0.4, engine="validation_split"),
    Param("regression_lookback", int, 128, EPOCH, low=32, high=512, engine="regression_lookback"),
    Param("regression_predictions", int, 32, EPOCH, low=32, high=256, engine="regression_predictions"),
    Param("exchange_fee", float, 0.065, EPOCH, "Percent per side.", low=0.02, high=0.2, engine="exchange_fee"),
    Param("position_size", float, 10000, EPOCH, "USD.", low=100, high=100_000_000, engine="position_size"),
    Param("leverage", int, 3, EPOCH, low=1, high=10, engine="leverage"),
    Param("idle_minutes_on_position_close", int, 180, EPOCH, low=0, high=1000, engine="idle_minutes_on_position_close"),
    Param(
        "prediction_interval",
        int,
        15,
        EPOCH,
        "Minutes per prediction candle.",
        choices=PREDICTION_INTERVALS_MINUTES,
        engine="interval_minutes",
        unit="minutes",
    ),
    # Ours: the data window and its checks.
    Param(
        "data_end",
        int,
        None,
        EPOCH,
        "Optional: end the epoch at the last candle closing by this time (ms). Default: the store's last candle.",
        low=0,
        high=MAX_TIME_MS,
        nullable=True,
        on_form=False,
    ),
    Param("purge", bool, True, EPOCH, "Drop training windows whose targets reach the test range.", on_form=False),
    Param(
        "holdout_share",
        float,
        0.25,
        EPOCH,
        "Share of the test range kept untouched for the holdout backtest.",
        low=0,
        high=0.5,
        on_form=False,
    ),
    Param(
        "max_gap_minutes",
        int,
        1440,
        EPOCH,
        "Refuse candles with a longer gap inside the epoch's range (minutes); raise it to accept one on purpose.",
        low=0,
        high=100_000,
    ),
    # Regression factory settings.
    Param(
        "regression_grid_profile",
        str,
        "original",
        REGRESSIONS,
        "The grid of regression configs to train.",
        max_length=64,
    ),
    Param(
        "max_epochs",
        int,
        500,
        REGRESSIONS,
        "Training epochs at most per regression.",
        low=1,
        high=100_000,
        on_form=False,
    ),
    Param(
        "patience",
        int,
        10,
        REGRESSIONS,
        "Early stopping: epochs without a better validation loss.",
        low=1,
        high=100_000,
        on_form=False,
    ),
    Param("batch_size", int, 512, REGRESSIONS, "Training windows per batch.", low=1, high=1_000_000, on_form=False),
    # Prediction-model settings (ORIGINAL.md §7.2, §7.5).
    Param(
        "price_change_requirements",
        list,
        [3],
        PREDICTION_MODELS,
        "Take-profit/stop-loss percentages to search.",
        item=float,
        low=0,
        high=100,
        max_length=100,
        on_form=False,
    ),
    Param(
        "min_sum_functions",
        list,
        ["mean", "median"],
        PREDICTION_MODELS,
        "How the minimum feature sums are taken.",
        item=str,
        choices=("mean", "median"),
        max_length=2,
        on_form=False,
    ),
    Param(
        "min_sum_adjustment_factors",
        list,
        [1, 1.5, 2],
        PREDICTION_MODELS,
        "Factors on the minimum feature sums.",
        item=float,
        low=0,
        high=100,
        max_length=100,
        on_form=False,
    ),
    Param(
        "regressions_per_model",
        list,
        [8],
        PREDICTION_MODELS,
        "Epoca's models hold 4, 8 or 16 regressions.",
        item=int,
        choices=(4, 8, 16),
        max_length=3,
        on_form=False,
    ),
    Param(
        "min_accuracy",
        float,
        55.0,
        PREDICTION_MODELS,
        "Least accuracy (%) of a profitable config.",
        low=0,
        high=100,
        on_form=False,
    ),
    Param(
        "min_profit",
        float,
        0.0,
        PREDICTION_MODELS,
        "Least profit (%) of a profitable config.",
        low=-1e12,
        high=1e12,
        on_form=False,
    ),
    Param(
        "min_positions",
        int,
        30,
        PREDICTION_MODELS,
        "Least positions in the selection period of a profitable config (a few lucky trades prove nothing).",
        low=0,
        high=1_000_000,
        on_form=False,
    ),
    Param(
        "ranking",
        str,
        "profit_lcb",
        PREDICTION_MODELS,
        "How the build ranks the profitable configs on the selection period: profit (the original's order) "
        "or profit_lcb (the lower 95 % confidence bound of the mean profit per position: robust to luck).",
        choices=("profit", "profit_lcb"),
        max_length=16,
        on_form=False,
    ),
    Param(
        "null_baseline_seeds",
        int,
        3,
        PREDICTION_MODELS,
        "Null-baseline searches after each search (one job per seed, on day-permuted features); 0: none.",
        low=0,
        high=20,
        on_form=False,
    ),
)
PARAM: dict[str, Param] = {p.name: p for p in PARAMS}
ENGINE_PARAMS: tuple[Param, ...] = tuple(p for p in PARAMS if p.engine)
BY_ENGINE_NAME: dict[str, Param] = {p.engine: p for p in ENGINE_PARAMS if p.engine}

# field -> (type, low, high), both bounds inclusive: the engine's numeric range checks
RANGES: dict[str, tuple[type, float, float]] = {
    p.name: (p.kind, p.low, p.high)
    for p in ENGINE_PARAMS
    if p.low is not None and p.high is not None  # what ``bounded`` says, spelled out for the checker
}


class EpochParams:
    """The parameters the engine checks and writes to ``epoch.json`` (the id and ``ENGINE_PARAMS``).

    Missing ones take their declared defaults; read them as attributes (``params.seed``).
    """

    __slots__ = ("_values", "id")

    def __init__(self, id: str, **values: Any) -> None:
        unknown = set(values) - set(BY_ENGINE_NAME)
        if unknown:
            raise TypeError(f"unknown epoch parameters {sorted(unknown)}")
        object.__setattr__(self, "id", id)
        object.__setattr__(self, "_values", {name: values.get(name, p.default) for name, p in BY_ENGINE_NAME.items()})

    def __getattr__(self, name: str) -> Any:
        try:
            return object.__getattribute__(self, "_values")[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("EpochParams are frozen")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, EpochParams) and self.to_dict() == other.to_dict()

    def __hash__(self) -> int:
        return hash(tuple(self.to_dict().items()))

    def __repr__(self) -> str:
        return "EpochParams(" + ", ".join(f"{k}={v!r}" for k, v in self.to_dict().items()) + ")"

    def to_dict(self) -> dict:
        return {"id": self.id, **self._values}


def validate_epoch_id(value: Any) -> str:
    """Return ``value`` if it is a valid epoch id, else raise ``EpochParameterError``.

    An id starts with ``_``, is 4-100 characters of upper-case letters, digits and ``_`` (so it
    is also a safe directory name) and never contains ``KR_`` (Epoca reads any id containing
    ``KR_`` as a regression).
    """
    message = _id_problem(value)
    if message:
        raise EpochParameterError({"id": message})
    return value


def _id_problem(value: Any) -> str | None:
    if not isinstance(value, str):
        return "must be a string"
    upper = value.upper()
    if upper and not _ID_CHARS.fullmatch(upper):
        bad = sorted({ch for ch in upper if not _ID_CHARS.fullmatch(ch)})
        return f"only upper-case letters, digits and '_' are allowed (found {''.join(bad)!r})"
    if "KR_" in upper:
        return "must not contain 'KR_' (reserved for regression ids)"
    if value != upper:
        return f"must be upper case: use {upper!r}"
    if not value.startswith("_"):
        return "must start with '_'"
    if not ID_MIN_LENGTH <= len(value) <= ID_MAX_LENGTH:
        return f"must be {ID_MIN_LENGTH}-{ID_MAX_LENGTH} characters long (got {len(value)})"
    return None


def validate_epoch_params(values: Mapping[str, Any]) -> EpochParams:
    """Check every engine field (missing ones take the defaults) and report all problems at once.

    Keys are the engine's names (``interval_minutes`` for the prediction interval).
    """
    errors: dict[str, str] = {}
    known = {"id", *BY_ENGINE_NAME}
    for name in values:
        if name not in known:
            errors[name] = "unknown parameter"
    clean: dict[str, Any] = {}
    if "id" not in values:
        errors["id"] = "required"
    else:
        problem = _id_problem(values["id"])
        if problem:
            errors["id"] = problem
        clean["id"] = values["id"]
    for name, param in BY_ENGINE_NAME.items():
        if name not in values:
            continue
        number, problem = check_param(param, values[name])
        if problem:
            errors[name] = problem
        clean[name] = number
    if errors:
        raise EpochParameterError(errors)
    return EpochParams(**clean)


def check_param(param: Param, value: Any) -> tuple[Any, str | None]:
    """``(clean value, None)``, or ``(value, the problem)`` against the declaration's type, range and choices."""
    if value is None:
        return (None, None) if param.nullable else (None, "is required")
    if param.kind is list:
        if not isinstance(value, (list, tuple)):
            return value, "must be a list"
        if not value:
            return value, "must hold at least one value"
        if param.max_length is not None and len(value) > param.max_length:
            return value, f"must hold at most {param.max_length} values (got {len(value)})"
        clean = []
        for i, item in enumerate(value):
            checked, problem = _scalar(param, param.item, item)
            if problem:
                return value, f"item {i}: {problem}"
            clean.append(checked)
        return clean, None
    assert param.kind is not None
    return _scalar(param, param.kind, value)


def _scalar(param: Param, kind: type | None, value: Any) -> tuple[Any, str | None]:
    if kind is bool:
        return (value, None) if isinstance(value, bool) else (value, "must be true or false")
    if kind is str:
        if not isinstance(value, str):
            return value, "must be a string"
        if param.max_length is not None and param.kind is str and len(value) > param.max_length:
            return value, f"must be at most {param.max_length} characters long (got {len(value)})"
        if param.choices and value not in param.choices:
            return value, f"must be one of {list(param.choices)} (got {value!r})"
        return value, None
    assert kind is not None
    number, problem = _number(value, kind)
    if problem is None and param.choices and number not in param.choices:
        problem = f"must be one of {param.choices} (got {number})"
    if problem is None and param.bounded and not param.low <= number <= param.high:
        problem = f"must be between {param.low:g} and {param.high:g} (got {number:g})"
    return number, problem


def _number(value: Any, kind: type) -> tuple[Any, str | None]:
    expected = "an integer" if kind is int else "a number"
    if isinstance(value, bool) or value is None:
        return None, f"must be {expected}"
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return None, f"must be {expected} (got {value!r})"
    if not isinstance(value, (int, float)) or not math.isfinite(value):
        return None, f"must be {expected}"
    if kind is int:
        if float(value) != int(value):
            return None, f"must be an integer (got {value})"
        return int(value), None
    return float(value), None
