"""Epoch creation and lifecycle: the only writer of Epoch rows and epoch folders."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import router, transaction
from django.db.models.deletion import Collector, ProtectedError, RestrictedError

from cluster.choices import ACTIVE_STATUSES
from cluster.models import Job
from cluster.services.jobs import job_enqueue
from core.errors import ApplicationError, ConflictError, FrozenEpochError
from core.files import write_json
from core.times import iso_utc
from epochs.choices import EpochPreset, EpochStatus
from epochs.engine import epoch as epoch_engine
from epochs.engine import gaps as epoch_gaps
from epochs.engine import store as candle_store
from epochs.engine.epoch_params import ENGINE_PARAMS, PARAMS, EpochParams, validate_epoch_params
from epochs.engine.errors import EpochError, EpochParameterError
from epochs.engine.layout import EpochLayout
from epochs.engine.ranges import epoch_ranges
from epochs.models import CandlestickSet, Epoch
from epochs.services.pages import epoch_disk_usage_record
from epochs.services.paths import candle_store_dir, epoch_dir

if TYPE_CHECKING:
    from typing import Any

    from django.contrib.auth.models import User

    from cluster.models import Job
    from epochs.engine.store import Progress

# Every epoch parameter is a column of the same name: those the engine checks (EpochParams), the
# others saved in epoch_settings.json for the later stages (with the preset).
ENGINE_FIELDS = tuple(p.name for p in ENGINE_PARAMS if p.name != "prediction_interval")
SETTINGS_FIELDS = ("preset", *(p.name for p in PARAMS if p.name not in ENGINE_FIELDS))


def _engine_params(epoch: Epoch) -> EpochParams:
    values = {p.engine: getattr(epoch, p.name) for p in ENGINE_PARAMS if p.engine}
    return validate_epoch_params({"id": epoch.id, **values})


_ENGINE_TO_FIELD = {p.engine: p.name for p in ENGINE_PARAMS}

# What the original preset fixes: the original tool had neither a purge, nor a holdout, nor a
# least number of positions, and ranked the profitable configs by profit.
ORIGINAL_PRESET_VALUES = {"purge": False, "holdout_share": 0.0, "min_positions": 0, "ranking": "profit"}


@transaction.atomic
def epoch_create(
    *, candlestick_set: CandlestickSet, user: User | None = None, inline: bool = False, **values: Any
) -> tuple[Epoch, Job]:
    """Validate the parameters, save the epoch (status ``creating``) and queue its creation job.

    Every field problem is reported at once, keyed by field name: the ranges, the grid profile,
    ``data_end`` and the width against the imported candles are all checked before queuing.
    """
    unknown = set(values) - set(ENGINE_FIELDS) - set(SETTINGS_FIELDS) - {"id"}
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "Unknown epoch parameter."))
    errors: dict[str, list[str]] = {}
    if values.get("preset") == EpochPreset.ORIGINAL:
        for name, fixed in ORIGINAL_PRESET_VALUES.items():
            if name in values and values[name] != fixed:
                errors.setdefault(name, []).append(
                    f"The original preset fixes {name} at {fixed!r}; got {values[name]!r}. Leave it out, or use the default preset."
                )
        values.update(ORIGINAL_PRESET_VALUES)
    epoch = Epoch(
        candlestick_set=candlestick_set, created_by=user if getattr(user, "is_authenticated", False) else None, **values
    )
    try:
        _engine_params(epoch)  # the engine's range checks accept floats (no isdigit bug)
    except EpochParameterError as exc:
        for name, message in exc.errors.items():
            errors.setdefault(_ENGINE_TO_FIELD.get(name, name), []).append(message)
    try:
        epoch.full_clean(validate_unique=False)
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            if name not in errors:  # the engine said it already, in its own words
                errors[name] = messages
    existing = Epoch.objects.filter(pk=epoch.id).first()
    folder = _epoch_dir_or_none(epoch.id)
    if existing is not None:
        errors.setdefault("id", []).append(
            f"An epoch {epoch.id!r} exists already ({existing.status}); delete it first (delete_epoch --epoch {epoch.id}) or choose another id."
        )
    elif folder is not None and folder.exists():
        errors.setdefault("id", []).append(f"The folder {folder} exists already; choose another id.")
    for field, problem in _setting_problems(epoch).items():
        errors.setdefault(field, []).append(problem)
    if not candlestick_set.candles:
        raise ApplicationError(f"The candlestick set {candlestick_set} holds no candles: import some first.")
    for name, message in _data_problems(epoch, candlestick_set, errors).items():
        errors.setdefault(name, []).append(message)
    if errors:
        raise ValidationError(errors)
    epoch.status = EpochStatus.CREATING
    epoch.save(force_insert=True)
    job = job_enqueue(
        kind="epochs.create", target=epoch, params={"epoch_id": epoch.id}, user=user, dedup_key=epoch.id, inline=inline
    )
    return epoch, job


def _epoch_dir_or_none(epoch_id: str) -> Path | None:
    try:
        return epoch_dir(epoch_id)
    except ValueError:  # an id that is no safe folder name: reported by the id check
        return None


# Checks of an epoch's settings that a later stage owns (the regressions app checks the grid
# profile), registered from that app's AppConfig.ready(): field name -> problem or None.
_SETTING_CHECKS: dict[str, Callable[[Any], str | None]] = {}


def epoch_setting_check_register(field: str, check: Callable[[Any], str | None]) -> None:
    _SETTING_CHECKS[field] = check


def _setting_problems(epoch: Epoch) -> dict[str, str]:
    problems = {}
    for field, check in _SETTING_CHECKS.items():
        problem = check(getattr(epoch, field))
        if problem:
            problems[field] = problem
    return problems


def _data_problems(epoch: Epoch, candlestick_set: CandlestickSet, errors: dict) -> dict[str, str]:
    """``data_end`` and the width against the imported candles (the build checks the exact count again)."""
    problems: dict[str, str] = {}
    first, last = candlestick_set.first_open_time, candlestick_set.last_close_time
    if first is None or last is None:  # a summary not refreshed yet: the build checks the data
        return problems
    span = f"{iso_utc(first)} to {iso_utc(last + 1)}"
    if epoch.data_end is not None and "data_end" not in errors and epoch.data_end <= first:
        problems["data_end"] = (
            f"{epoch.data_end} ms ({_utc_or_raw(epoch.data_end)}) is not after the first imported "
            f"candle; the candles cover {span}. Give a time in ms since 1970, e.g. {last + 1}."
        )
        return problems
    if {"epoch_width", "prediction_interval", "sma_window_size", "data_end"} & set(errors):
        return problems
    start, end = first, last if epoch.data_end is None else min(last, epoch.data_end)
    interval_ms = epoch.prediction_interval * 60_000
    available = (end + 1 - start) // interval_ms
    needed = epoch_engine.candles_in_range(epoch.epoch_width, epoch.prediction_interval) + epoch.sma_window_size - 1
    if available < needed:
        days = (end + 1 - start) / 86_400_000
        problems["epoch_width"] = (
            f"An epoch of {epoch.epoch_width} months needs {needed} prediction candles of {epoch.prediction_interval} "
            f"minutes (with the SMA's {epoch.sma_window_size - 1} before it), {needed * interval_ms / 86_400_000:.1f} days; "
            f"the imported candles{' up to data_end' if epoch.data_end is not None else ''} hold {available} "
            f"({days:.1f} days, {iso_utc(start)} to {iso_utc(end + 1)}). "
            f"Import more months or choose a smaller width."
        )
    return problems


def _utc_or_raw(ms: int) -> str:
    try:
        return iso_utc(ms) or "not a time"
    except (OverflowError, OSError, ValueError):
        return "not a time"


def epoch_build(*, epoch: Epoch, progress: Progress) -> dict:
    """Build the epoch folder from the candle store (called by the creation job).

    The folder is assembled under a temporary name and renamed into place, so an epoch folder
    either holds everything or does not exist. The candle store is only read. Every failure
    ends the epoch ``failed`` with its reason; an attempt after a retryable one starts afresh.
    """
    if epoch.status == EpochStatus.READY and epoch_dir(epoch.id).exists():
        return {"skipped": "the epoch exists already"}
    if not epoch.mark_creating():
        raise ApplicationError(
            f"Epoch {epoch.id} is exported: its folder is what Epoca installed and is not built again."
        )
    try:
        return _build(epoch, progress)
    except EpochError as exc:
        epoch_fail(epoch=epoch, error=str(exc))
        raise ApplicationError(str(exc)) from None
    except OSError as exc:
        # A full disk or a read-only folder: no retry can succeed before someone acts.
        message = (
            f"The epoch folder could not be written: {exc.strerror or exc} ({exc.filename or settings.EPOCHS_ROOT})."
        )
        epoch_fail(epoch=epoch, error=message)
        raise ApplicationError(message) from None
    except BaseException as exc:
        epoch_fail(epoch=epoch, error=f"{type(exc).__name__}: {exc}")
        raise


def _build(epoch: Epoch, progress: Progress) -> dict:
    params = _engine_params(epoch)
    progress(0, 4, "loading candles")
    store = candle_store_dir(epoch.candlestick_set.name)
    candles_1m = candle_store.load_candles(store, None, epoch.data_end)
    prediction = candle_store.load_prediction_candles(store, epoch.prediction_interval)
    if epoch.data_end is not None:
        prediction = prediction.between(None, epoch.data_end)
    progress(1, 4, "smoothing and normalising")
    built = epoch_engine.build_epoch_candles(
        candles_1m,
        prediction,
        epoch_width=epoch.epoch_width,
        sma_window_size=epoch.sma_window_size,
        train_split=epoch.train_split,
        interval_minutes=epoch.prediction_interval,
        bounds_rows=bounds_rows(epoch),
    )
    gaps = epoch_gaps.gap_report(epoch_gaps.find_gaps(built.candles_1m.ot))
    epoch_gaps.check_longest(gaps, epoch.max_gap_minutes)
    fingerprint = epoch_engine.data_fingerprint(built.candles_1m, built.prediction)
    split = epoch_engine.window_split(
        built.rows, epoch.train_split, epoch.regression_lookback, epoch.regression_predictions
    )
    progress(2, 4, "writing the epoch folder")
    target = epoch_dir(epoch.id)
    settings.EPOCHS_ROOT.mkdir(parents=True, exist_ok=True)
    for leftover in settings.EPOCHS_ROOT.glob(f".{epoch.id}.*"):  # a killed attempt's staging folder
        shutil.rmtree(leftover, ignore_errors=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{epoch.id}.", dir=settings.EPOCHS_ROOT))
    layout = EpochLayout(staging, epoch_id=epoch.id)
    try:
        for sub in layout.subdirs():
            sub.mkdir(parents=True, exist_ok=True)
        checksums = epoch_engine.write_epoch_candles(built, layout.candlesticks)
        config = epoch_engine.epoch_json(params, built)
        write_json(layout.epoch_json, config, indent=4)
        write_json(
            layout.epoch_settings_json,
            {
                **{name: getattr(epoch, name) for name in SETTINGS_FIELDS},
                "epoch_width": epoch.epoch_width,
                "data_fingerprint": fingerprint,
                "candle_checksums": checksums,
                "candlestick_set": epoch.candlestick_set.name,
                "prediction_rows": built.rows,
                "purged_train_windows": split.purged_windows if epoch.purge else 0,
                "gaps": gaps.to_dict(),
            },
            indent=4,
        )
        receipt = epoch_engine.receipt_text(params, built, datetime.now(UTC))
        receipt += epoch_gaps.receipt_lines(gaps, format_utc=epoch_engine.format_utc)
        layout.receipt.write_text(receipt)
        os.replace(staging, target)  # fails if the target exists: never overwrite another epoch
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    progress(3, 4, "saving")
    epoch.mark_ready(
        start=built.start,
        end=built.end,
        test_ds_start=built.test_ds_start,
        test_ds_end=built.test_ds_end,
        highest_price_sma=built.highest_price_sma,
        lowest_price_sma=built.lowest_price_sma,
        prediction_rows=built.rows,
        data_fingerprint=fingerprint,
        gaps=gaps.to_dict(),
    )
    epoch_disk_usage_record(epoch=epoch)
    progress(4, 4, "ready")
    return {
        "epoch": epoch.id,
        "rows": built.rows,
        "fingerprint": fingerprint,
        "gaps": gaps.to_dict()["count"],
        "epoch_json": config,
    }


def bounds_rows(epoch: Epoch) -> int:
    """The rows that set the normalisation bounds: those before the holdout (all without one)."""
    rows = epoch_engine.candles_in_range(epoch.epoch_width, epoch.prediction_interval)
    return epoch_ranges(
        rows=rows,
        train_split=epoch.train_split,
        lookback=epoch.regression_lookback,
        predictions=epoch.regression_predictions,
        holdout_share=epoch.holdout_share,
        purge=epoch.purge,
    ).holdout_row


def epoch_fail(*, epoch: Epoch, error: str) -> bool:
    return epoch.mark_failed(error=error)


def epoch_protectors(epoch: Epoch) -> list:
    """The objects that keep ``epoch`` from being deleted on its own (Django's PROTECT rules)."""
    collector = Collector(using=router.db_for_write(Epoch))
    try:
        collector.collect([epoch])
    except (ProtectedError, RestrictedError) as exc:
        return sorted(exc.protected_objects if isinstance(exc, ProtectedError) else exc.restricted_objects, key=str)
    return []


@transaction.atomic
def epoch_delete(*, epoch: Epoch, with_dependants: bool = False) -> None:
    """Delete a failed or finished epoch: its rows and its folder. The shared candle store is untouched.

    An exported epoch is frozen until its export is withdrawn; one whose creation still runs
    must be cancelled first. An epoch with objects that protect it (prediction-model searches
    of its selections) is refused (409) with them listed, unless ``with_dependants`` asks to
    delete them too.
    """
    epoch = Epoch.objects.select_for_update().get(pk=epoch.pk)
    if epoch.is_frozen:
        raise FrozenEpochError(
            f"Epoch {epoch.id} is exported: it cannot be deleted until an administrator withdraws its export."
        )
    active = Job.objects.filter(kind="epochs.create", dedup_key=epoch.id, status__in=ACTIVE_STATUSES).first()
    if active is not None:
        raise ApplicationError(f"Epoch {epoch.id} is being created (job #{active.pk}): cancel that job first.")
    protectors = epoch_protectors(epoch)
    if protectors and not with_dependants:
        raise ConflictError(
            f"Epoch {epoch.id} is used by {len(protectors)} object(s): delete them first, or ask for the epoch to be "
            "deleted with its dependants (with_dependants=true).",
            {"protected_by": [f"{obj._meta.verbose_name} {obj.pk} ({obj})" for obj in protectors]},
        )
    for obj in protectors:
        obj.delete()
    folder = epoch_dir(epoch.id)
    epoch.delete()
    if folder.exists():
        transaction.on_commit(lambda: shutil.rmtree(folder, ignore_errors=True))
