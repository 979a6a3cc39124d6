"""Epoch creation and lifecycle: the only writer of Epoch rows and epoch folders."""
from __future__ import annotations

import os
import shutil
import tempfile
from datetime import datetime, timezone as dt_timezone
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from cluster.services.jobs import job_enqueue
from epoca_builder.errors import ApplicationError
from epoca_builder.files import write_json
from epochs.choices import EpochPreset, EpochStatus
from epochs.engine import epoch as epoch_engine
from epochs.engine import store as candle_store
from epochs.engine.epoch_params import EpochParams, validate_epoch_params
from epochs.engine.errors import EpochError, EpochParameterError
from epochs.engine.ranges import epoch_ranges
from epochs.models import CandlestickSet, Epoch
from epochs.services.paths import EPOCH_SUBDIRS, candle_store_dir, epoch_dir

# Fields of the Epoch row that the engine's EpochParams also checks (same names, except the
# prediction interval).
ENGINE_FIELDS = (
    "seed", "epoch_width", "sma_window_size", "train_split", "validation_split", "regression_lookback",
    "regression_predictions", "exchange_fee", "position_size", "leverage", "idle_minutes_on_position_close",
)
SETTINGS_FIELDS = (
    "preset", "prediction_interval", "purge", "holdout_share", "data_end", "regression_grid_profile", "max_epochs",
    "patience", "batch_size", "price_change_requirements", "min_sum_functions", "min_sum_adjustment_factors",
    "regressions_per_model", "min_accuracy", "min_profit",
)


def _engine_params(epoch: Epoch) -> EpochParams:
    values = {name: getattr(epoch, name) for name in ENGINE_FIELDS}
    return validate_epoch_params({"id": epoch.id, "interval_minutes": epoch.prediction_interval, **values})


@transaction.atomic
def epoch_create(*, candlestick_set: CandlestickSet, user=None, inline: bool = False, **values) -> tuple[Epoch, object]:
    """Validate the parameters, save the epoch (status ``creating``) and queue its creation job.

    Every field problem is reported at once, keyed by field name.
    """
    unknown = set(values) - set(ENGINE_FIELDS) - set(SETTINGS_FIELDS) - {"id"}
    if unknown:
        raise ValidationError({name: "Unknown epoch parameter." for name in sorted(unknown)})
    if values.get("preset") == EpochPreset.ORIGINAL:
        # The original tool had neither: reproduce it exactly.
        values.update(purge=False, holdout_share=0.0)
    epoch = Epoch(candlestick_set=candlestick_set, created_by=user if getattr(user, "is_authenticated", False) else None, **values)
    try:
        _engine_params(epoch)  # the engine's range checks accept floats (no isdigit bug)
    except EpochParameterError as exc:
        raise ValidationError(exc.errors) from None
    epoch.full_clean()
    if Epoch.objects.filter(pk=epoch.id).exists():
        raise ValidationError({"id": f"An epoch {epoch.id!r} exists already."})
    if epoch_dir(epoch.id).exists():
        raise ValidationError({"id": f"The folder {epoch_dir(epoch.id)} exists already; choose another id."})
    if not candlestick_set.candles:
        raise ApplicationError(f"The candlestick set {candlestick_set} holds no candles: import some first.")
    epoch.status = EpochStatus.CREATING
    epoch.save(force_insert=True)
    job = job_enqueue(kind="epochs.create", target=epoch, params={"epoch_id": epoch.id}, user=user, dedup_key=epoch.id, inline=inline)
    return epoch, job


def epoch_build(*, epoch: Epoch, progress) -> dict:
    """Build the epoch folder from the candle store (called by the creation job).

    The folder is assembled under a temporary name and renamed into place, so an epoch folder
    either holds everything or does not exist. The candle store is only read.
    """
    if epoch.status == EpochStatus.READY and epoch_dir(epoch.id).exists():
        return {"skipped": "the epoch exists already"}
    params = _engine_params(epoch)
    progress(0, 4, "loading candles")
    store = candle_store_dir(epoch.candlestick_set.name)
    candles_1m = candle_store.load_candles(store, None, epoch.data_end)
    prediction = candle_store.load_prediction_candles(store, epoch.prediction_interval)
    if epoch.data_end is not None:
        prediction = prediction.between(None, epoch.data_end)
    progress(1, 4, "smoothing and normalising")
    try:
        built = epoch_engine.build_epoch_candles(
            candles_1m, prediction, epoch_width=epoch.epoch_width, sma_window_size=epoch.sma_window_size,
            train_split=epoch.train_split, interval_minutes=epoch.prediction_interval,
            bounds_rows=bounds_rows(epoch),
        )
    except EpochError as exc:
        epoch_fail(epoch=epoch, error=str(exc))
        raise ApplicationError(str(exc)) from None
    fingerprint = epoch_engine.data_fingerprint(built.candles_1m, built.prediction)
    split = epoch_engine.window_split(built.rows, epoch.train_split, epoch.regression_lookback, epoch.regression_predictions)
    progress(2, 4, "writing the epoch folder")
    target = epoch_dir(epoch.id)
    settings.EPOCHS_ROOT.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{epoch.id}.", dir=settings.EPOCHS_ROOT))
    try:
        for sub in EPOCH_SUBDIRS:
            (staging / sub).mkdir(parents=True, exist_ok=True)
        checksums = epoch_engine.write_epoch_candles(built, staging / "candlesticks")
        config = epoch_engine.epoch_json(params, built)
        write_json(staging / "epoch.json", config, indent=4)
        write_json(staging / "epoch_settings.json", {
            **{name: getattr(epoch, name) for name in SETTINGS_FIELDS},
            "epoch_width": epoch.epoch_width, "data_fingerprint": fingerprint, "candle_checksums": checksums,
            "candlestick_set": epoch.candlestick_set.name, "prediction_rows": built.rows,
            "purged_train_windows": split.purged_windows if epoch.purge else 0,
        }, indent=4)
        receipt = epoch_engine.receipt_text(params, built, datetime.now(dt_timezone.utc))
        (staging / f"{epoch.id}_receipt.txt").write_text(receipt)
        os.replace(staging, target)  # fails if the target exists: never overwrite another epoch
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    progress(3, 4, "saving")
    Epoch.objects.filter(pk=epoch.pk).update(
        status=EpochStatus.READY, start=built.start, end=built.end, test_ds_start=built.test_ds_start,
        test_ds_end=built.test_ds_end, highest_price_sma=built.highest_price_sma, lowest_price_sma=built.lowest_price_sma,
        prediction_rows=built.rows, data_fingerprint=fingerprint, error="",
    )
    progress(4, 4, "ready")
    return {"epoch": epoch.id, "rows": built.rows, "fingerprint": fingerprint, "epoch_json": config}


def bounds_rows(epoch: Epoch) -> int:
    """The rows that set the normalisation bounds: those before the holdout (all without one)."""
    rows = epoch_engine.candles_in_range(epoch.epoch_width, epoch.prediction_interval)
    return epoch_ranges(
        rows=rows, train_split=epoch.train_split, lookback=epoch.regression_lookback,
        predictions=epoch.regression_predictions, holdout_share=epoch.holdout_share, purge=epoch.purge,
    ).holdout_row


def epoch_fail(*, epoch: Epoch, error: str) -> None:
    Epoch.objects.filter(pk=epoch.pk).update(status=EpochStatus.FAILED, error=error)


@transaction.atomic
def epoch_delete(*, epoch: Epoch) -> None:
    """Delete the epoch's row and its folder. The shared candle store is untouched."""
    folder = epoch_dir(epoch.id)
    epoch.delete()
    if folder.exists():
        transaction.on_commit(lambda: shutil.rmtree(folder, ignore_errors=True))
