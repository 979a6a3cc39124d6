"""EBE points recomputed by hand from EPOCA_CONTRACT.md §5.1 for hand-made certificates."""

import pytest

from prediction_models.engine.ebe import prediction_model_evaluation
from regressions.engine.ebe import regression_evaluation, state_of, stepped_loss


def discovery(**values):
    base = {
        "points": 0,
        "accuracy": 0,
        "increase_accuracy": 0,
        "decrease_accuracy": 0,
        "increase_num": 0,
        "decrease_num": 0,
        "neutral_num": 0,
        "increase_outcome_num": 0,
        "decrease_outcome_num": 0,
        "neutral_outcome_num": 0,
    }
    return {**base, **values}


def regression_cert(*, mae, mse, history, disc, metric="mean_squared_error"):
    return {
        "loss": "mean_absolute_error",
        "metric": metric,
        "training_history": history,
        "test_ds_evaluation": {"mean_absolute_error": mae, "mean_squared_error": mse},
        "discovery": disc,
    }


def by_name(evaluation):
    return {(c["name"], i["name"]): i["points"] for c in evaluation["categories"] for i in c["items"]}


def test_a_perfect_regression_earns_100_points_and_is_optimal():
    history = {
        "loss": [1.0, 0.5],
        "val_loss": [1.0, 0.4],
        "mean_squared_error": [1.0, 0.5],
        "val_mean_squared_error": [1.0, 0.5],
    }
    disc = discovery(
        points=75,
        accuracy=85,
        increase_accuracy=90,
        decrease_accuracy=85,
        increase_num=40,
        decrease_num=60,
        increase_outcome_num=40,
        decrease_outcome_num=60,
    )
    ebe = regression_evaluation(regression_cert(mae=0.001, mse=0.000004, history=history, disc=disc))
    assert ebe["points"] == 100 and ebe["max_points"] == 100 and ebe["state"] == "optimal"
    assert [c["max_points"] for c in ebe["categories"]] == [60, 38.5, 1.5]


def test_a_regression_scored_item_by_item():
    history = {
        "loss": [1.0, 0.98],
        "val_loss": [1.0, 0.996],
        "mean_squared_error": [0.5, 0.6],
        "val_mean_squared_error": [0.5, 0.55],
    }
    disc = discovery(
        points=37.5,
        accuracy=67.5,
        increase_accuracy=85,
        decrease_accuracy=50,
        increase_num=40,
        decrease_num=75,
        increase_outcome_num=40,
        decrease_outcome_num=60,
    )
    ebe = regression_evaluation(regression_cert(mae=0.002, mse=0.000004, history=history, disc=disc))
    items = by_name(ebe)
    expected = {
        ("Test dataset", "Mean absolute error"): 21.58,  # 2 x the best: the 20th step, 30 / 1.39
        ("Test dataset", "Mean squared error"): 30.0,  # at the best
        ("Discovery", "Discovery points"): 7.75,  # 37.5 of 75 % x 100 outcomes, of 15.5
        ("Discovery", "Increase accuracy"): 2.0,  # 85 %: full
        ("Discovery", "Decrease accuracy"): 0.0,  # 50 %: nothing
        ("Discovery", "Accuracy"): 7.0,  # half-way from 50 % to 85 %, of 14
        ("Discovery", "Increase predictions vs outcomes"): 2.5,  # 40 predictions for 40 outcomes
        ("Discovery", "Decrease predictions vs outcomes"): 0.42,  # 75 for 60: 25 % off of 30 %
        ("Training", "Loss improvement"): 0.25,  # 2 % better
        ("Training", "Validation loss improvement"): 0.05,  # 0.4 % of 2 %
        ("Training", "Loss vs validation loss"): 0.11,  # validation 1.63 % above of 3 %
        ("Training", "Metric improvement"): 0.0,  # got worse
        ("Training", "Validation metric improvement"): 0.0,
        ("Training", "Metric vs validation metric"): 0.25,  # validation below training
    }
    assert items == expected
    assert ebe["points"] == pytest.approx(sum(expected.values()), abs=0.011)
    assert ebe["state"] == "decent"  # 71.9 of 100


def test_the_stepped_loss_scale():
    assert stepped_loss(0.0005, 0.001, 30) == 30
    assert stepped_loss(0.00105, 0.001, 30) == round(30 / 1.01, 2)
    assert stepped_loss(0.0011, 0.001, 30) == round(30 / 1.03, 2)
    assert stepped_loss(0.005, 0.001, 30) == round(30 / 1.99, 2)
    assert stepped_loss(0.00501, 0.001, 30) == 0
    # Every step down the loss scale loses points, never gains.
    values = [stepped_loss(0.001 * (1 + k / 100), 0.001, 30) for k in range(420)]
    assert values == sorted(values, reverse=True)


@pytest.mark.parametrize(
    ("points", "state"),
    [
        (80, "optimal"),
        (79.99, "decent"),
        (60, "decent"),
        (40, "neutral"),
        (20, "warning"),
        (19.99, "error"),
        (0, "error"),
    ],
)
def test_state_classes_by_share_of_points(points, state):
    assert state_of(points, 100) == state


def test_a_prediction_model_scored_item_by_item():
    backtest = {
        "position_size": 100,
        "profit": 50,
        "accuracy": 67.5,
        "increase_accuracy": 85,
        "decrease_accuracy": 40,
        "increase_num": 10,
        "decrease_num": 0,
        "increase_outcome_num": 10,
        "decrease_outcome_num": 0,
    }
    disc = discovery(
        points=100,
        accuracy=85,
        increase_accuracy=85,
        decrease_accuracy=67.5,
        increase_num=20,
        decrease_num=26,
        increase_outcome_num=20,
        decrease_outcome_num=20,
    )
    ebe = prediction_model_evaluation({"backtest": backtest, "discovery": disc})
    expected = {
        ("Backtest", "Profit"): 22.5,  # half a position size of 45
        ("Backtest", "Increase accuracy"): 1.5,
        ("Backtest", "Decrease accuracy"): 0.0,
        ("Backtest", "Accuracy"): 22.5,
        ("Backtest", "Increase positions vs outcomes"): 1.0,
        ("Backtest", "Decrease positions vs outcomes"): 1.0,  # none of either
        ("Discovery", "Discovery points"): 1.0,  # 100 points: full
        ("Discovery", "Increase accuracy"): 0.5,
        ("Discovery", "Decrease accuracy"): 0.25,
        ("Discovery", "Accuracy"): 2.0,  # 85 %: full
        ("Discovery", "Increase predictions vs outcomes"): 0.5,
        ("Discovery", "Decrease predictions vs outcomes"): 0.0,  # 30 % off
    }
    assert by_name(ebe) == expected
    assert ebe["points"] == pytest.approx(52.75) and ebe["max_points"] == 100 and ebe["state"] == "neutral"


def test_a_losing_model_earns_no_profit_points():
    backtest = {
        "position_size": 100,
        "profit": -30,
        "accuracy": 30,
        "increase_accuracy": 30,
        "decrease_accuracy": 30,
        "increase_num": 5,
        "decrease_num": 5,
        "increase_outcome_num": 1,
        "decrease_outcome_num": 9,
    }
    ebe = prediction_model_evaluation({"backtest": backtest, "discovery": discovery()})
    assert by_name(ebe)[("Backtest", "Profit")] == 0
    assert ebe["state"] == "error"


@pytest.mark.parametrize("accuracy", [0.9, 1.0])
def test_an_accuracy_of_under_one_percent_earns_nothing(accuracy):
    """Certificates hold percent: 0.9 is 0.9 % (far below 50 %), never read as a 90 % share."""
    disc = discovery(accuracy=accuracy, increase_accuracy=accuracy, decrease_accuracy=accuracy)
    history = {"loss": [1.0], "val_loss": [1.0], "mean_squared_error": [1.0], "val_mean_squared_error": [1.0]}
    regression = by_name(regression_evaluation(regression_cert(mae=1, mse=1, history=history, disc=disc)))
    assert regression[("Discovery", "Accuracy")] == 0
    assert regression[("Discovery", "Increase accuracy")] == 0
    backtest = {
        "position_size": 100,
        "profit": 0,
        "accuracy": accuracy,
        "increase_accuracy": accuracy,
        "decrease_accuracy": accuracy,
        "increase_num": 0,
        "decrease_num": 0,
        "increase_outcome_num": 0,
        "decrease_outcome_num": 0,
    }
    model = by_name(prediction_model_evaluation({"backtest": backtest, "discovery": disc}))
    assert model[("Backtest", "Accuracy")] == 0 and model[("Discovery", "Accuracy")] == 0
