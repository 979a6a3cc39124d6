"""Permutation importances find the hyper-parameter that drives the result."""

import numpy as np

from regressions.engine.importance import importances


def test_the_driving_hyper_parameter_ranks_first():
    rng = np.random.default_rng(1)
    rows = [
        {
            "learning_rate": float(rng.choice([-1, 0.001, 0.0001])),
            "network": str(rng.choice(["CNN", "LSTM", "DNN"])),
            "units": int(rng.choice([32, 64, 128])),
        }
        for _ in range(300)
    ]
    for row in rows:  # accuracy depends on the network only
        row["accuracy"] = {"CNN": 50, "LSTM": 60, "DNN": 70}[row["network"]] + float(rng.normal(0, 1))
    ranked = importances(rows, ["learning_rate", "network", "units"], "accuracy")
    assert ranked[0]["feature"] == "network"
    assert ranked[0]["importance"] > 10 * max(abs(r["importance"]) for r in ranked[1:])


def test_too_few_results_give_no_estimate():
    assert importances([{"a": 1, "y": 1.0}] * 5, ["a"], "y") == []
