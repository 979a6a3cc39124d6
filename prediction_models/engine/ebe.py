"""Epoch Builder Evaluation of a prediction-model certificate: 100 points (EPOCA_CONTRACT.md §5.1).

Accuracies are read in percent, as the certificates hold them (``accuracy_points``).

The backtest earns 95 (profit 45, full at a profit of one ``position_size``; accuracy 45 and
1.5 per side; positions vs outcomes 1 per side), the discovery 5 (points 1, full at 100;
accuracy 2 and 0.5 per side; predictions vs outcomes 0.5 per side).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from regressions.engine.ebe import (
    accuracy_points,
    as_number,
    discovery_items,
    evaluate,
    linear,
    predictions_vs_outcomes_points,
)

DISCOVERY_WEIGHTS = {"points": 1.0, "side_accuracy": 0.5, "accuracy": 2.0, "predictions": 0.5}
DISCOVERY_POINTS_TARGET = 100.0


def prediction_model_evaluation(cert: Mapping[str, Any]) -> dict:
    b = cert["backtest"]
    return evaluate(
        [
            (
                "Backtest",
                [
                    (
                        "Profit",
                        45.0,
                        lambda m: (
                            linear(as_number(b["profit"]), 0.0, as_number(b["position_size"]), m)
                            if as_number(b["position_size"]) > 0
                            else 0.0
                        ),
                        b["profit"],
                    ),
                    (
                        "Increase accuracy",
                        1.5,
                        lambda m: accuracy_points(b["increase_accuracy"], m),
                        b["increase_accuracy"],
                    ),
                    (
                        "Decrease accuracy",
                        1.5,
                        lambda m: accuracy_points(b["decrease_accuracy"], m),
                        b["decrease_accuracy"],
                    ),
                    ("Accuracy", 45.0, lambda m: accuracy_points(b["accuracy"], m), b["accuracy"]),
                    (
                        "Increase positions vs outcomes",
                        1.0,
                        lambda m: predictions_vs_outcomes_points(b["increase_num"], b["increase_outcome_num"], m),
                        f"{b['increase_num']} / {b['increase_outcome_num']}",
                    ),
                    (
                        "Decrease positions vs outcomes",
                        1.0,
                        lambda m: predictions_vs_outcomes_points(b["decrease_num"], b["decrease_outcome_num"], m),
                        f"{b['decrease_num']} / {b['decrease_outcome_num']}",
                    ),
                ],
            ),
            ("Discovery", discovery_items(cert["discovery"], DISCOVERY_WEIGHTS, DISCOVERY_POINTS_TARGET)),
        ]
    )
