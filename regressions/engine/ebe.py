"""Epoch Builder Evaluation (EBE): the points Epoca's GUI gives a certificate (EPOCA_CONTRACT.md §5.1).

An evaluation is a list of categories, each a list of scored items; every item earns between 0
and its maximum, rounded to 2 decimals, and every level gets a state class from the share of
its maximum it earned. The contract fixes the maxima, the full-mark thresholds and the state
classes; where it says only "a stepped scale" or "scored against", the rule used here is
written next to the scale that implements it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

STATES = ("optimal", "decent", "neutral", "warning", "error")
# The share of the maximum (percent) at or above which a state applies, best first.
STATE_THRESHOLDS = ((80, "optimal"), (60, "decent"), (40, "neutral"), (20, "warning"))

BEST_MAE = 0.001
BEST_MSE = 0.000004
WORST_ACCURACY, BEST_ACCURACY = 50.0, 85.0
# Predictions this far (percent) from the outcomes earn nothing; equal counts earn full marks.
MAX_PREDICTIONS_VS_OUTCOMES = 30.0
# A training curve that improves by this much (percent, first to last epoch) earns full marks.
BEST_IMPROVEMENT = 2.0
# A final validation value this much (percent) above the final training value earns nothing.
MAX_VALIDATION_GAP = 3.0
DISCOVERY_POINTS_SHARE = 0.75


def state_of(points: float, max_points: float) -> str:
    share = 100.0 * points / max_points if max_points else 0.0
    for threshold, state in STATE_THRESHOLDS:
        if share >= threshold:
            return state
    return "error"


def _round(value: float) -> float:
    return round(float(value), 2)


def as_number(value: Any) -> float:
    """A certificate number; NaN counts as 0, as the GUI reads it."""
    value = float(value)
    return 0.0 if math.isnan(value) else value


def linear(value: float, worst: float, best: float, max_points: float) -> float:
    """Nothing at ``worst`` or beyond, full marks at ``best`` or beyond, a straight line between."""
    share = (value - worst) / (best - worst)
    return _round(max_points * min(1.0, max(0.0, share)))


def stepped_loss(loss: float, best: float, max_points: float) -> float:
    """The stepped scale of the test-set losses.

    Full marks at or below ``best``. Above it the loss climbs steps (of 5 % of ``best`` up to
    twice ``best``, then of 10 % up to five times ``best``) and each step divides the maximum by
    a further 0.02: ``max / 1.01`` on the first step, ``max / 1.39`` at 2x, ``max / 1.99`` at 5x.
    Beyond five times ``best`` nothing.
    """
    if not math.isfinite(loss) or loss < 0:
        return 0.0
    ratio = loss / best
    if ratio <= 1:
        return _round(max_points)
    if ratio > 5:
        return 0.0
    # A tiny tolerance keeps 1.1 x best on its own step despite binary floating point.
    fine = math.ceil((min(ratio, 2.0) - 1) / 0.05 - 1e-9)
    coarse = math.ceil((ratio - 2) / 0.1 - 1e-9) if ratio > 2 else 0
    return _round(max_points / (0.99 + 0.02 * (fine + coarse)))


def accuracy_points(accuracy: float, max_points: float) -> float:
    """50 % earns nothing, 85 % full marks. Certificates hold accuracies in percent: 0.9 is 0.9 %, not 90 %."""
    return linear(as_number(accuracy), WORST_ACCURACY, BEST_ACCURACY, max_points)


def _distance(predictions: float, outcomes: float) -> float:
    """How far (percent of the outcomes) the predictions are from the outcomes."""
    if outcomes == 0:
        return 0.0 if predictions == 0 else 100.0
    return abs(predictions - outcomes) / outcomes * 100


def predictions_vs_outcomes_points(predictions: float, outcomes: float, max_points: float) -> float:
    return linear(_distance(as_number(predictions), as_number(outcomes)), MAX_PREDICTIONS_VS_OUTCOMES, 0.0, max_points)


def improvement_points(values: Sequence[float], max_points: float) -> float:
    """First to last epoch of a curve where lower is better: 0 if it did not fall, full at 2 %."""
    if len(values) < 2 or not as_number(values[0]):
        return 0.0
    first, last = as_number(values[0]), as_number(values[-1])
    improvement = (first - last) / abs(first) * 100
    return linear(improvement, 0.0, BEST_IMPROVEMENT, max_points)


def validation_gap_points(train: Sequence[float], validation: Sequence[float], max_points: float) -> float:
    """Full marks if the last validation value is at most the last training value; 0 at 3 % above."""
    if not train or not validation:
        return 0.0
    last_train, last_validation = as_number(train[-1]), as_number(validation[-1])
    if last_validation <= last_train:
        return _round(max_points)
    gap = (last_validation - last_train) / abs(last_train) * 100 if last_train else 100.0
    return linear(gap, MAX_VALIDATION_GAP, 0.0, max_points)


Item = tuple[str, float, Callable[[float], float], Any]  # name, max points, scorer(max) -> points, shown value


def evaluate(categories: Sequence[tuple[str, Sequence[Item]]]) -> dict:
    """Score every item and add up the categories and the whole."""
    result, total, total_max = [], 0.0, 0.0
    for name, items in categories:
        scored, points, max_points = [], 0.0, 0.0
        for item_name, item_max, scorer, value in items:
            item_points = scorer(item_max)
            scored.append(
                {
                    "name": item_name,
                    "value": value,
                    "points": item_points,
                    "max_points": item_max,
                    "state": state_of(item_points, item_max),
                }
            )
            points += item_points
            max_points += item_max
        result.append(
            {
                "name": name,
                "points": _round(points),
                "max_points": _round(max_points),
                "state": state_of(points, max_points),
                "items": scored,
            }
        )
        total += points
        total_max += max_points
    return {
        "points": _round(total),
        "max_points": _round(total_max),
        "state": state_of(total, total_max),
        "categories": result,
    }


def discovery_points_target(discovery: Mapping[str, Any]) -> float:
    """75 % of the outcomes a discovery could have earned a point on (its increases and decreases)."""
    return DISCOVERY_POINTS_SHARE * (
        as_number(discovery["increase_outcome_num"]) + as_number(discovery["decrease_outcome_num"])
    )


def discovery_items(discovery: Mapping[str, Any], weights: Mapping[str, float], points_target: float) -> list[Item]:
    d = discovery
    return [
        (
            "Discovery points",
            weights["points"],
            lambda m: linear(as_number(d["points"]), 0.0, points_target, m) if points_target > 0 else 0.0,
            d["points"],
        ),
        (
            "Increase accuracy",
            weights["side_accuracy"],
            lambda m: accuracy_points(d["increase_accuracy"], m),
            d["increase_accuracy"],
        ),
        (
            "Decrease accuracy",
            weights["side_accuracy"],
            lambda m: accuracy_points(d["decrease_accuracy"], m),
            d["decrease_accuracy"],
        ),
        ("Accuracy", weights["accuracy"], lambda m: accuracy_points(d["accuracy"], m), d["accuracy"]),
        (
            "Increase predictions vs outcomes",
            weights["predictions"],
            lambda m: predictions_vs_outcomes_points(d["increase_num"], d["increase_outcome_num"], m),
            f"{d['increase_num']} / {d['increase_outcome_num']}",
        ),
        (
            "Decrease predictions vs outcomes",
            weights["predictions"],
            lambda m: predictions_vs_outcomes_points(d["decrease_num"], d["decrease_outcome_num"], m),
            f"{d['decrease_num']} / {d['decrease_outcome_num']}",
        ),
    ]


REGRESSION_DISCOVERY_WEIGHTS = {"points": 15.5, "side_accuracy": 2.0, "accuracy": 14.0, "predictions": 2.5}


def regression_evaluation(cert: Mapping[str, Any]) -> dict:
    """The EBE of a regression certificate: 100 points (§5.1)."""
    evaluation = cert["test_ds_evaluation"]
    history = cert["training_history"]
    metric = cert["metric"]
    loss = history.get("loss", [])
    val_loss = history.get("val_loss", [])
    metric_curve = history.get(metric, [])
    val_metric = history.get(f"val_{metric}", [])
    mae, mse = as_number(evaluation["mean_absolute_error"]), as_number(evaluation["mean_squared_error"])
    discovery = cert["discovery"]
    return evaluate(
        [
            (
                "Test dataset",
                [
                    ("Mean absolute error", 30.0, lambda m: stepped_loss(mae, BEST_MAE, m), mae),
                    ("Mean squared error", 30.0, lambda m: stepped_loss(mse, BEST_MSE, m), mse),
                ],
            ),
            ("Discovery", discovery_items(discovery, REGRESSION_DISCOVERY_WEIGHTS, discovery_points_target(discovery))),
            (
                "Training",
                [
                    ("Loss improvement", 0.25, lambda m: improvement_points(loss, m), _last(loss)),
                    ("Validation loss improvement", 0.25, lambda m: improvement_points(val_loss, m), _last(val_loss)),
                    (
                        "Loss vs validation loss",
                        0.25,
                        lambda m: validation_gap_points(loss, val_loss, m),
                        _last(val_loss),
                    ),
                    ("Metric improvement", 0.25, lambda m: improvement_points(metric_curve, m), _last(metric_curve)),
                    (
                        "Validation metric improvement",
                        0.25,
                        lambda m: improvement_points(val_metric, m),
                        _last(val_metric),
                    ),
                    (
                        "Metric vs validation metric",
                        0.25,
                        lambda m: validation_gap_points(metric_curve, val_metric, m),
                        _last(val_metric),
                    ),
                ],
            ),
        ]
    )


def _last(values: Sequence[float]) -> float | None:
    return values[-1] if values else None
