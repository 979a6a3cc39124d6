"""Train one regression config end to end, from an epoch folder to its three files.

Everything comes from the epoch folder (``epoch.json``, ``epoch_settings.json`` and the
normalised candles) and the config, so a cluster server without a database runs the same code:

    regressions/<id>/model.keras, model.h5 (legacy Keras-2 HDF5), certificate.json

The certificate's ``test_size``, ``test_ds_evaluation`` and ``discovery`` describe the selection
period (the test windows whose targets end before the holdout), so every figure that ranks and
selects regressions, here and in Epoca's GUI, ignores the holdout. With a holdout an added
``holdout`` key holds the same figures on the holdout windows, without the windows Epoca would
refuse (an input outside the epoch's normalisation bounds, EPOCA_CONTRACT.md §3.2). Without one
(the ``original`` preset) the certificate is the original's.

An interrupted training resumes from ``regression_training_checkpoints/<id>/``.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq

from core.files import read_json, write_json
from epochs.engine.layout import CERTIFICATE, RETRAINING, EpochLayout, regression_files_complete
from epochs.engine.layout import SAMPLES_FILE as SAMPLES
from epochs.engine.ranges import epoch_ranges
from regressions.engine import certificate as certificates
from regressions.engine.architectures import build_model
from regressions.engine.discovery import regression_discovery
from regressions.engine.hdf5 import save_regression_files
from regressions.engine.runtime import runtime_record
from regressions.engine.training import (
    Hyperparameters,
    TrainingSettings,
    discard_checkpoint,
    evaluate,
    train_regression,
)
from regressions.engine.windows import RegressionWindows, build_windows

__all__ = ["CERTIFICATE", "RETRAINING", "SAMPLES"]  # the layout's names, as callers of this module know them
SAMPLE_WINDOWS = 4


@dataclass(frozen=True)
class EpochData:
    """What training reads of an epoch folder."""

    config: dict  # epoch.json
    settings: dict  # epoch_settings.json
    normalized: np.ndarray
    start: int
    end: int

    @classmethod
    def load(cls, epoch_dir: str | Path) -> EpochData:
        layout = EpochLayout(Path(epoch_dir))
        table = pq.read_table(layout.candlesticks / "normalized_prediction_candlesticks.parquet")
        return cls(
            config=read_json(layout.epoch_json),
            settings=read_json(layout.epoch_settings_json),
            normalized=table.column("c").to_numpy(),
            start=int(table.column("ot")[0].as_py()),
            end=int(table.column("ct")[-1].as_py()),
        )


def regression_dir(epoch_dir: str | Path, regression_id: str) -> Path:
    return EpochLayout(Path(epoch_dir)).regression_dir(regression_id)


def is_trained(epoch_dir: str | Path, regression_id: str) -> bool:
    return is_complete(regression_dir(epoch_dir, regression_id))


def is_complete(folder: Path) -> bool:
    """A regression folder with every file a trained regression has (the certificate is written last)."""
    return regression_files_complete(folder)


def retraining_dir(epoch_dir: str | Path, regression_id: str, generation: int) -> Path:
    """Where a retraining writes generation N's files; they replace the regression's files only once complete."""
    return EpochLayout(Path(epoch_dir)).retraining_dir(regression_id, generation)


def swap_in(epoch_dir: str | Path, regression_id: str, staged: Path) -> None:
    """Put a complete retrained folder in place of the regression's files (old ones removed after).

    Safe to repeat after a crash at any point: a staged folder that is gone was swapped in.
    """
    if not staged.exists():
        return
    if not is_complete(staged):
        raise ValueError(f"{staged} is not a complete regression folder: nothing was swapped")
    target = regression_dir(epoch_dir, regression_id)
    retired = staged.with_name(f"{staged.name}.retired")
    shutil.rmtree(retired, ignore_errors=True)
    if target.exists():
        os.replace(target, retired)
    os.replace(staged, target)
    shutil.rmtree(retired, ignore_errors=True)


def package_versions() -> dict[str, str]:
    versions = {}
    for package in ("tensorflow-cpu", "tensorflow", "keras", "numpy", "h5py"):
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            continue
    return versions


def training_runtime() -> dict:
    """The certificate's ``runtime``: the device, the TensorFlow build, op determinism, threads."""
    import tensorflow as tf  # why: loaded already by the training that calls this

    return runtime_record(tf)


def train_config(
    config: Mapping[str, Any],
    epoch_dir: str | Path,
    *,
    progress: Callable[[int, int, str], None] | None = None,
    on_history: Callable[[dict], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    out_dir: str | Path | None = None,
    determinism: bool = True,
    max_batches: int | None = None,
) -> dict:
    """Train ``config`` on the epoch and write its files; a trained one is only read back.

    ``out_dir`` (a retraining's folder) receives the files instead of the regression's own folder.
    ``determinism`` and ``max_batches`` go to :func:`train_regression`; the certificate records
    the device, the TensorFlow build, the determinism, the threads and each epoch's seconds
    under its added ``runtime`` key.
    """
    epoch_dir = Path(epoch_dir)
    regression_id = config["id"]
    out = Path(out_dir) if out_dir is not None else regression_dir(epoch_dir, regression_id)
    if is_complete(out):
        return read_json(out / CERTIFICATE)
    data = EpochData.load(epoch_dir)
    epoch, extra = data.config, data.settings
    lookback, predictions = int(config["lookback"]), int(config["predictions"])
    windows = build_windows(
        data.normalized,
        lookback=lookback,
        predictions=predictions,
        train_split=epoch["train_split"],
        purge=bool(extra.get("purge", False)),
    )
    settings = TrainingSettings.of_epoch(epoch, extra)
    result = train_regression(
        lambda: build_model(config["keras_model"], lookback, predictions),
        windows,
        hyperparameters=Hyperparameters(
            learning_rate=config["learning_rate"],
            loss=config["loss"],
            metric=config["metric"],
            optimizer=config.get("optimizer", "adam"),
        ),
        settings=settings,
        seed=int(epoch["seed"]),
        checkpoint_dir=EpochLayout(Path(epoch_dir)).checkpoint_dir(regression_id),
        progress=progress,
        on_history=on_history,
        should_stop=should_stop,
        determinism=determinism,
        max_batches=max_batches,
    )
    holdout_row = epoch_ranges(
        rows=len(data.normalized),
        train_split=epoch["train_split"],
        lookback=lookback,
        predictions=predictions,
        holdout_share=float(extra.get("holdout_share") or 0),
        purge=bool(extra.get("purge", False)),
    ).holdout_row
    selection, holdout = period_slices(windows, holdout_row)
    figures = period_figures(windows, result.test_predictions, selection)
    training_end = int(time.time() * 1000)
    best = {key: values[result.best_epoch_index] for key, values in result.history.items()}
    certificate = certificates.build_certificate(
        config=config,
        model=result.model,
        training_data_start=data.start,
        training_data_end=data.end,
        train_size=windows.train_size,
        test_size=figures["test_size"],
        training_data_summary=certificates.dataset_summary(data.normalized[:holdout_row]),
        training_start=training_end - round(result.training_seconds * 1000),
        training_end=training_end,
        history=result.history,
        test_ds_evaluation=figures["test_ds_evaluation"],
        discovery=figures["discovery"],
        best_epoch=result.best_epoch,
        best_metrics=best,
        seed=int(epoch["seed"]),
        package_versions=package_versions(),
        holdout=None if holdout is None else holdout_figures(windows, result.test_predictions, holdout),
        runtime={**training_runtime(), "epoch_seconds": [round(v, 3) for v in result.epoch_seconds]},
    )
    save_regression_files(
        result.model,
        out,
        regression_id=regression_id,
        description=config["description"],
        lookback=lookback,
        predictions=predictions,
    )
    write_json(out / SAMPLES, test_samples(windows, result.test_predictions))
    # The certificate is written last: its presence marks the regression as trained.
    write_json(out / CERTIFICATE, certificate)
    discard_checkpoint(EpochLayout(Path(epoch_dir)).checkpoint_dir(regression_id))
    return certificate


def period_slices(windows: RegressionWindows, holdout_row: int) -> tuple[slice, slice | None]:
    """The test windows of the selection period and of the holdout, as slices of the test windows.

    Like the prediction-model assets: window ``t`` of the test range decides at row
    ``test_row + t + lookback``; the selection keeps the windows whose targets end before the
    holdout, the holdout the windows deciding at or after its first row.
    """
    if holdout_row >= windows.rows:
        return slice(0, windows.test_size), None
    selection_count = holdout_row - windows.test_row - windows.lookback - windows.predictions
    holdout_first = holdout_row - windows.test_row - windows.lookback
    if selection_count < 1 or holdout_first >= windows.test_size:
        raise ValueError(f"the holdout at row {holdout_row} leaves no selection or no holdout window")
    return slice(0, selection_count), slice(holdout_first, windows.test_size)


def period_figures(windows: RegressionWindows, predictions: np.ndarray, part: slice | np.ndarray) -> dict:
    """``test_size``, ``test_ds_evaluation`` and ``discovery`` of some test windows (a slice or a mask)."""
    x, y, p = np.asarray(windows.test_x)[part], np.asarray(windows.test_y)[part], np.asarray(predictions)[part]
    return {
        "test_size": len(x),
        "test_ds_evaluation": evaluate(p, y),
        "discovery": regression_discovery(x[:, -1], y[:, -1], p[:, -1]),
    }


def holdout_figures(windows: RegressionWindows, predictions: np.ndarray, holdout: slice) -> dict:
    """The holdout's figures without the windows Epoca refuses: an input at or beyond a bound."""
    x = np.asarray(windows.test_x)[holdout]
    refused = (x.max(axis=1) >= 1) | (x.min(axis=1) <= 0)
    accepted = np.flatnonzero(~refused) + holdout.start
    figures: dict[str, Any] = {"refused_windows": int(refused.sum())}
    if len(accepted):
        figures.update(period_figures(windows, predictions, accepted))
    else:
        figures.update(test_size=0, test_ds_evaluation=None, discovery=None)
    return figures


def test_samples(windows: RegressionWindows, predictions: np.ndarray, count: int = SAMPLE_WINDOWS) -> list[dict]:
    """A few evenly spaced test windows (input, real and predicted path) for the regression page."""
    picks = np.linspace(0, windows.test_size - 1, count).astype(int)
    start = windows.test_range[0] + windows.lookback
    return [
        {
            "row": int(start + j),
            "x": np.asarray(windows.test_x[j]).tolist(),
            "y": np.asarray(windows.test_y[j]).tolist(),
            "predicted": np.asarray(predictions[j], dtype=float).tolist(),
        }
        for j in picks
    ]


def load_config(path: str | Path, regression_id: str | None = None) -> dict:
    """A config from a single-config JSON file or from a batch file (``{name, configs}``)."""
    data = json.loads(Path(path).read_text())
    if "configs" not in data:
        return data
    for config in data["configs"]:
        if regression_id is None or config["id"] == regression_id:
            return config
    raise KeyError(f"{path}: no config {regression_id!r}")
