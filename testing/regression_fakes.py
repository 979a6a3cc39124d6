"""A whole grid with made-up results, for pages, API and benchmarks that need many rows, not real training.

The epoch row is real but has no candles; its regressions are the grid profile's configs
(1,220 for ``original``) marked trained with seeded random metrics, and each gets a small
certificate file shaped like a real one so that detail, compare and EBE views can read it.
"""

from __future__ import annotations

import json

import numpy as np
from django.utils import timezone

from epochs.choices import EpochStatus
from epochs.models import CandlestickSet, Epoch
from epochs.services.paths import epoch_dir
from regressions.choices import RegressionStatus
from regressions.engine.ebe import regression_evaluation
from regressions.engine.pipeline import CERTIFICATE, regression_dir
from regressions.models import Regression
from regressions.services.grid import configs_plan, configs_record

START = 1_609_459_200_000  # 2021-01-01 00:00 UTC


def _history(rng, epochs: int, start: float) -> list[float]:
    decay = np.exp(-np.linspace(0, rng.uniform(0.2, 2.0), epochs))
    return [round(float(v), 8) for v in start * decay * rng.uniform(0.97, 1.03, epochs)]


def fake_certificate(config: dict, rng) -> dict:
    epochs = int(rng.integers(3, 30))
    loss_start = rng.uniform(0.002, 0.02)
    history = {"loss": _history(rng, epochs, loss_start), "val_loss": _history(rng, epochs, loss_start * 1.1)}
    metric = config["metric"]
    history[metric] = _history(rng, epochs, loss_start * 2)
    history[f"val_{metric}"] = _history(rng, epochs, loss_start * 2.2)
    increase_outcome, decrease_outcome = int(rng.integers(50, 150)), int(rng.integers(50, 150))
    increase_num, decrease_num = int(rng.integers(20, 160)), int(rng.integers(20, 160))
    increase_accuracy, decrease_accuracy = float(rng.uniform(35, 80)), float(rng.uniform(35, 80))
    accuracy = (increase_accuracy * increase_num + decrease_accuracy * decrease_num) / (increase_num + decrease_num)
    increases = [round(float(v), 6) for v in rng.uniform(0.1, 3, 8)]
    decreases = [round(float(v), 6) for v in -rng.uniform(0.1, 3, 8)]
    discovery = {
        "neutral_num": int(rng.integers(0, 50)),
        "increase_num": increase_num,
        "decrease_num": decrease_num,
        "neutral_outcome_num": int(rng.integers(0, 50)),
        "increase_outcome_num": increase_outcome,
        "decrease_outcome_num": decrease_outcome,
        "increase_accuracy": round(increase_accuracy, 2),
        "decrease_accuracy": round(decrease_accuracy, 2),
        "accuracy": round(accuracy, 2),
        "points_hist": [round(float(v), 2) for v in np.cumsum(rng.normal(1, 4, 10))],
        "increase_list": increases,
        "decrease_list": decreases,
        "increase_min": min(increases),
        "increase_max": max(increases),
        "increase_mean": round(float(np.mean(increases)), 6),
        "increase_median": round(float(np.median(increases)), 6),
        "decrease_min": min(decreases),
        "decrease_max": max(decreases),
        "decrease_mean": round(float(np.mean(decreases)), 6),
        "decrease_median": round(float(np.median(decreases)), 6),
        "increase_successful_mean": increases[0],
        "decrease_successful_mean": decreases[0],
    }
    discovery["points"] = discovery["points_hist"][-1]
    mae = float(rng.uniform(0.0008, 0.006))
    keras_model = config["keras_model"]
    return {
        "id": config["id"],
        "description": config["description"],
        "training_data_start": START,
        "training_data_end": START + 90 * 86_400_000,
        "train_size": 6000,
        "test_size": 2000,
        "training_data_summary": {
            "mean": 0.5,
            "std": 0.2,
            "min": 0.0,
            "25%": 0.35,
            "50%": 0.5,
            "75%": 0.65,
            "max": 1.0,
        },
        "learning_rate": config["learning_rate"],
        "optimizer": "Adam",
        "loss": config["loss"],
        "metric": metric,
        "keras_model_config": {"name": keras_model["name"], "units": list(keras_model.get("units") or [])},
        "training_start": START,
        "training_end": START + epochs * 4000,
        "training_history": history,
        "test_ds_evaluation": {"mean_absolute_error": round(mae, 8), "mean_squared_error": round(mae * mae * 1.5, 10)},
        "discovery": discovery,
        "best_epoch": int(np.argmin(history["val_loss"])) + 1,
        "training_seconds": round(epochs * 4.0, 3),
        "regression_config": {
            "id": config["id"],
            "description": config["description"],
            "lookback": config["lookback"],
            "predictions": config["predictions"],
            "summary": {"layers": [], "total_params": 0},
        },
    }


def fake_grid_epoch(
    epoch_id: str = "_WORKBENCH", *, profile: str = "original", seed: int = 7, untrained: int = 5
) -> Epoch:
    """An epoch whose ``profile`` grid is trained with made-up results, except its last ``untrained`` configs."""
    candles, _ = CandlestickSet.objects.get_or_create(name=f"fake-{epoch_id.strip('_').lower()}")
    epoch = Epoch.objects.create(
        id=epoch_id,
        candlestick_set=candles,
        status=EpochStatus.READY,
        data_fingerprint="f" * 64,
        regression_grid_profile=profile,
        start=START,
        end=START + 90 * 86_400_000,
    )
    configs_record(epoch=epoch, profile=profile, result=configs_plan(epoch=epoch, profile=profile))
    rng = np.random.default_rng(seed)
    folder = epoch_dir(epoch.id)
    rows = list(
        Regression.objects.filter(epoch=epoch).select_related("config").order_by("config__batch", "config__position")
    )
    now = timezone.now()
    trained = rows[:-untrained] if untrained else rows
    for regression in trained:
        cert = fake_certificate(regression.config.config, rng)
        path = regression_dir(folder, regression.config_id) / CERTIFICATE
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(cert))  # made-up files need no fsync
        discovery, ebe = cert["discovery"], regression_evaluation(cert)
        regression.status = RegressionStatus.TRAINED
        regression.test_mae = cert["test_ds_evaluation"]["mean_absolute_error"]
        regression.test_mse = cert["test_ds_evaluation"]["mean_squared_error"]
        regression.test_loss = cert["test_ds_evaluation"][cert["loss"]]
        for key in (
            "accuracy",
            "increase_accuracy",
            "decrease_accuracy",
            "points",
            "increase_num",
            "decrease_num",
            "neutral_num",
        ):
            setattr(regression, key, discovery[key])
        regression.best_epoch = cert["best_epoch"]
        regression.epochs_trained = len(cert["training_history"]["loss"])
        regression.training_seconds = cert["training_seconds"]
        regression.ebe_points, regression.ebe_state = ebe["points"], ebe["state"]
        regression.trained_at = now
    # Faster than an update per row: the rows are made again, with their results.
    Regression.objects.filter(epoch=epoch).delete()
    Regression.objects.bulk_create(rows, batch_size=500)
    return epoch
