"""The search's overfitting summary and the verdict a built model gets from it."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from typing import Any, overload

import numpy as np

from prediction_models.engine.overfitting.dsr import deflated_sharpe

NOT_AVAILABLE = "not available"


@overload
def json_safe(value: dict) -> dict[str, object]: ...
@overload
def json_safe(value: object) -> object: ...


def json_safe(value: object) -> object:
    """The same structure with NaN and Infinity as None and numpy scalars as Python ones."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, np.ndarray):
        return json_safe(value.tolist())
    return value


@dataclasses.dataclass
class OverfittingSummary:
    configs_tried: int
    configs_with_positions: int
    distinct_position_sequences: int  # among the configs with positions
    pass_rate: float | None  # share of the configs tried that passed the search's thresholds
    null_pass_rate: float | None  # the same on skill-less (day-permuted) features; filled by a null run
    pbo: dict | None  # PBOResult.as_dict()
    spa_pvalue: dict  # {"flat": {lower, consistent, upper} | None, "buy_and_hold": ... | None}
    sharpe_trials: dict  # {"count", "mean", "variance"}: the trials' daily Sharpe ratios
    settings: dict

    def deflated_sharpe(self, model_returns: np.ndarray) -> dict:
        """The DSR of a model's daily returns with N = configs tried (the verdict's) and with
        N = distinct position sequences; each ``DeflatedSharpe.as_dict()``, JSON-safe."""
        variance = self.sharpe_trials.get("variance")
        return json_safe(
            {
                "configs_tried": deflated_sharpe(model_returns, variance, self.configs_tried).as_dict(),
                "distinct_position_sequences": deflated_sharpe(
                    model_returns, variance, self.distinct_position_sequences
                ).as_dict(),
            }
        )

    def as_dict(self) -> dict:
        return json_safe(dataclasses.asdict(self))

    @classmethod
    def from_dict(cls, data: dict) -> OverfittingSummary:
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


@dataclasses.dataclass(frozen=True)
class VerdictThresholds:
    min_deflated_sharpe: float = 0.95
    max_pbo: float = 0.2
    max_spa_pvalue: float = 0.05
    spa_pvalue: str = "consistent"  # which of arch's p-values: lower, consistent or upper
    min_holdout_profit: float = 0.0  # profit must exceed it
    min_forward_profit: float = 0.0  # every forward test's profit must exceed it


def _check(name: str, value: object, threshold: str, passed: Callable[[Any], object]) -> dict:
    value = json_safe(value)
    if value is None:
        return {"check": name, "value": None, "threshold": threshold, "passed": NOT_AVAILABLE}
    return {"check": name, "value": value, "threshold": threshold, "passed": bool(passed(value))}


def verdict(
    summary: OverfittingSummary | None,
    deflated_sharpe_ratio: float | None = None,
    holdout_profit: float | None = None,
    forward_profits: Sequence[float] | None = None,
    thresholds: VerdictThresholds = VerdictThresholds(),
) -> list[dict]:
    """Each check as ``{check, value, threshold, passed}``; ``passed`` is True, False or
    "not available" (no value: a statistic undefined, no holdout, no forward test yet).

    ``deflated_sharpe_ratio`` is the model's DSR with N = configs tried
    (``summary.deflated_sharpe(returns)["configs_tried"]["value"]``).
    """
    t = thresholds
    spa = (summary.spa_pvalue if summary else {}) or {}

    def spa_value(benchmark: str) -> float | None:
        values = spa.get(benchmark)
        return values.get(t.spa_pvalue) if values else None

    forward = [float(p) for p in forward_profits] if forward_profits else []
    if not all(math.isfinite(p) for p in forward):
        forward = []  # an undefined forward profit leaves the check without a value
    return [
        _check(
            "deflated_sharpe_ratio",
            deflated_sharpe_ratio,
            f">= {t.min_deflated_sharpe}",
            lambda v: v >= t.min_deflated_sharpe,
        ),
        _check(
            "probability_of_backtest_overfitting",
            (summary.pbo or {}).get("pbo") if summary else None,
            f"<= {t.max_pbo}",
            lambda v: v <= t.max_pbo,
        ),
        _check("spa_pvalue_flat", spa_value("flat"), f"<= {t.max_spa_pvalue}", lambda v: v <= t.max_spa_pvalue),
        _check(
            "spa_pvalue_buy_and_hold",
            spa_value("buy_and_hold"),
            f"<= {t.max_spa_pvalue}",
            lambda v: v <= t.max_spa_pvalue,
        ),
        _check("holdout_profit", holdout_profit, f"> {t.min_holdout_profit}", lambda v: v > t.min_holdout_profit),
        # The worst forward test decides: every one must be profitable.
        _check(
            "forward_tests_profit",
            min(forward) if forward else None,
            f"> {t.min_forward_profit} (each)",
            lambda v: v > t.min_forward_profit,
        ),
    ]
