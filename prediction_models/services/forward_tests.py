"""Forward tests: a built model traded on imported candles after its epoch, as Epoca feeds it.

Each regression's input is what Epoca's prediction service computes live (``engine/live.py``:
the SMA over ``sma_window_size`` of the closes before each decision, the epoch's bounds, the
lookback); the features follow the builder's formula on the last prediction step; rows Epoca
would refuse (an SMA at or beyond a bound) have no feature and open no position. The backtest
is the fast engine's with the model's own settings and min sums, from a fresh balance. Positions
follow the builder's signal rule, which Epoca's live core does not trade on (EPOCA_CONTRACT.md
§3.3). A forward test makes no choice: it is evaluated once per range and only reported.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from django.conf import settings
from django.db import transaction

from cluster.jobs import JobCancelled, JobFailed
from cluster.services.jobs import job_enqueue
from core.errors import ApplicationError
from core.files import read_json, write_json
from epochs.engine import store as candle_store
from epochs.engine.klines import utc
from epochs.services.pages import epoch_disk_usage_record
from epochs.services.paths import candle_store_dir, epoch_dir, epoch_layout
from prediction_models.engine.assets import Candles, build_assets, feature_from_prediction, save_assets
from prediction_models.engine.backtest import backtest_record
from prediction_models.engine.live import history_needed, live_windows
from prediction_models.engine.metrics import METRIC_BY_COLUMN
from prediction_models.features import features_file
from prediction_models.models import ForwardTest, PredictionModel
from prediction_models.services.build import _finite, _metrics, _with_sums, accepted_discovery
from prediction_models.services.files import model_certificate
from prediction_models.services.search import backtest_settings

if TYPE_CHECKING:
    from typing import Any

    from django.contrib.auth.models import User

    from cluster.models import Job
    from epochs.models import Epoch
RESULT_FILE = "forward_test.json"
WINDOWS_FILE = "windows.npy"


def forward_test_dir(forward_test: ForwardTest) -> Path:
    return epoch_layout(forward_test.prediction_model.search.epoch_id).forward_test_dir(forward_test.pk)


def _store_end(epoch: Epoch) -> int:
    months = candle_store.read_manifest(candle_store_dir(epoch.candlestick_set.name))["months"]
    return max(int(entry["last_ct"]) for entry in months.values()) if months else 0


@transaction.atomic
def forward_test_create(
    *, model: PredictionModel, start: int, end: int, user: User | None = None, inline: bool = False
) -> tuple[ForwardTest, Job]:
    """Check the range and queue the forward test's job: ``(forward test, job)``.

    The range must start at or after the end of the model's epoch (any earlier candle was seen
    while building it) and lie within the imported candles.
    """
    epoch = model.search.epoch
    if start <= int(epoch.end):  # type: ignore[arg-type]  # a model's epoch was built: it has its end
        raise ApplicationError(
            f"A forward test must start after the end of epoch {epoch.id} ({utc(int(epoch.end))}); "  # type: ignore[arg-type]
            f"{utc(int(start))} is not."
        )
    if end <= start:
        raise ApplicationError(f"The forward test's end ({utc(int(end))}) must be after its start ({utc(int(start))}).")
    imported = _store_end(epoch)
    if end > imported:
        raise ApplicationError(
            f"Candles of {epoch.candlestick_set.name!r} are imported up to {utc(imported)}; the forward test ends "
            f"at {utc(int(end))}: import the missing months first."
        )
    forward_test = ForwardTest.objects.create(
        prediction_model=model,
        start=int(start),
        end=int(end),
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    job = job_enqueue(
        kind="prediction_models.forward_test",
        target=forward_test,
        user=user,
        inline=inline,
        dedup_key=f"forward-test-{forward_test.pk}",
    )
    return forward_test, job


@dataclasses.dataclass(frozen=True)
class ForwardInputs:
    predictions: Candles  # P: from ``lookback`` candles before the first decision to the end
    minutes: Candles
    normalized_last: np.ndarray  # the last normalised input of each decision
    refused: np.ndarray  # bool per decision
    lookback: int
    forecast_steps: int


def _as_engine(candles: Any) -> Candles:
    return Candles.from_arrays("candles", candles.ot, candles.ct, candles.o, candles.h, candles.l, candles.c)


def forward_test_inputs(*, forward_test: ForwardTest) -> ForwardInputs:
    """Epoca's inputs for every decision of the range; writes the windows the regressions read."""
    model = forward_test.prediction_model
    epoch = model.search.epoch
    config = read_json(epoch_layout(epoch.id).epoch_json)
    cert = model_certificate(model)
    lookbacks = {int(r["lookback"]) for r in cert["model"]["regressions"]}
    if len(lookbacks) != 1:
        raise ApplicationError(f"The regressions of {model.id} differ in lookback: {sorted(lookbacks)}")
    lookback = lookbacks.pop()
    predictions = int(cert["model"]["regressions"][0]["predictions"])
    store = candle_store_dir(epoch.candlestick_set.name)
    every = candle_store.load_prediction_candles(store, epoch.prediction_interval).between(None, forward_test.end)
    first = int(np.searchsorted(every.ot, forward_test.start, "left"))
    history = history_needed(int(config["sma_window_size"]), lookback)
    if first < history:
        raise ApplicationError(
            f"The forward test needs the {history} prediction candles before {utc(forward_test.start)}."
        )
    predictions_range = every.take(slice(first - lookback, len(every)))
    decisions = len(predictions_range) - lookback - predictions
    if decisions < 1:
        raise ApplicationError(
            f"The range {utc(forward_test.start)} to {utc(forward_test.end)} holds {len(every) - first} prediction "
            f"candles; a decision needs {predictions} after it (the regressions' forecast)."
        )
    windows = live_windows(
        every.c[first - history : first + decisions],
        sma_window_size=int(config["sma_window_size"]),
        lookback=lookback,
        highest=float(config["highest_price_sma"]),
        lowest=float(config["lowest_price_sma"]),
    )
    folder = forward_test_dir(forward_test)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / WINDOWS_FILE, "wb") as handle:
        np.save(handle, windows.normalized)
    minutes = candle_store.load_candles(store, int(every.ot[first]), forward_test.end)
    return ForwardInputs(
        predictions=_as_engine(predictions_range),
        minutes=_as_engine(minutes),
        normalized_last=windows.normalized[:, -1],
        refused=windows.refused,
        lookback=lookback,
        forecast_steps=predictions,
    )


def forward_test_argv(*, forward_test: ForwardTest) -> list[str]:
    """The child process that runs the regressions on the windows (Keras stays out of the worker)."""
    model = forward_test.prediction_model
    folder = forward_test_dir(forward_test)
    return [
        sys.executable,
        str(Path(settings.BASE_DIR) / "manage.py"),
        "predict_windows",
        "--epoch-dir",
        str(epoch_dir(model.search.epoch_id)),
        "--windows",
        str(folder / WINDOWS_FILE),
        "--out",
        str(folder / "forecasts"),
        "--threads",
        str(settings.TRAINING_THREADS),
        *model.profitable_config.regression_ids,
    ]


def forward_test_finish(*, forward_test: ForwardTest, inputs: ForwardInputs) -> dict:
    """Features from the forecasts, the backtest with the model's settings; stores the record."""
    model = forward_test.prediction_model
    config = model.profitable_config
    cert = model_certificate(model)
    folder = forward_test_dir(forward_test)
    ids = list(config.regression_ids)
    features = {
        rid: feature_from_prediction(
            inputs.normalized_last, np.load(features_file(folder / "forecasts", rid)), inputs.refused
        )
        for rid in ids
    }
    assets = build_assets(
        predictions=inputs.predictions,
        minutes=inputs.minutes,
        features=features,
        lookback=inputs.lookback,
        forecast_steps=inputs.forecast_steps,
        pcrs=[float(config.price_change_requirement)],
        allow_refused=True,
    )
    save_assets(assets, folder)
    min_sums = (float(cert["model"]["min_increase_sum"]), float(cert["model"]["min_decrease_sum"]))
    _, performance, _ = backtest_record(
        assets,
        ids,
        config.price_change_requirement,
        config.min_sum_function,
        config.min_sum_adjustment_factor,
        backtest_settings(model.search.epoch),
        fixed_min_sums=min_sums,
    )
    record = _finite(
        {
            "start": int(assets.minutes.ot[0]),
            "end": int(assets.minutes.ct[-1]),
            "rows": assets.features_num,
            "refused_rows": int(assets.refused.sum()),
            "min_increase_sum": min_sums[0],
            "min_decrease_sum": min_sums[1],
            "discovery": accepted_discovery(assets, assets.feature_rows(ids), config.price_change_requirement),
            "backtest": _with_sums(performance),
            "metrics": _metrics(performance, assets, int(assets.minutes.ot[0]), int(assets.minutes.ct[-1])),
        }
    )
    write_json(folder / RESULT_FILE, record)
    forward_test.mark_done(
        result_file=(folder / RESULT_FILE).relative_to(epoch_dir(model.search.epoch_id)).as_posix(),
        decisions=record["rows"],
        refused_rows=record["refused_rows"],
        profit=performance["profit"],
        accuracy=performance["accuracy"],
        positions=len(performance["positions"]),
        buy_and_hold=METRIC_BY_COLUMN["buy_and_hold"].read(record),
    )
    epoch_disk_usage_record(epoch=model.search.epoch_id)
    return {
        "forward_test": forward_test.pk,
        "rows": record["rows"],
        "refused_rows": record["refused_rows"],
        "profit": performance["profit"],
        "positions": len(performance["positions"]),
    }


def forward_test_run(
    *,
    forward_test: ForwardTest,
    forecast: Callable[[list[str]], object],
    log: Callable[[str], None] = lambda message: None,
) -> dict:
    """The forward-test job: Epoca's inputs, the forecasts (``forecast`` runs the child process), the record.

    Any expected failure, a cancel included, marks the test failed with its reason.
    """
    try:
        log("computing Epoca's inputs on the range")
        inputs = forward_test_inputs(forward_test=forward_test)
        log(f"{len(inputs.refused)} decisions, {int(inputs.refused.sum())} that Epoca would refuse")
        forecast(forward_test_argv(forward_test=forward_test))
        return forward_test_finish(forward_test=forward_test, inputs=inputs)
    except ApplicationError as exc:
        forward_test.mark_failed(error=exc.message)
        raise
    except (JobFailed, JobCancelled) as exc:
        forward_test.mark_failed(error=str(exc))
        raise


def range_of_dates(first: str, last: str) -> tuple[int, int]:
    """``(start, end)`` in ms for ``YYYY-MM`` or ``YYYY-MM-DD`` strings: from the first minute of
    ``first`` to the last minute of ``last``, both in UTC."""

    def parse(text: str, name: str) -> tuple[date, date]:
        text = str(text).strip()
        try:
            if len(text) == 7:
                day = datetime.strptime(text, "%Y-%m").date()
                following = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
                return day, following
            day = datetime.strptime(text, "%Y-%m-%d").date()
            return day, day + timedelta(days=1)
        except ValueError:
            raise ApplicationError(f"{name}: expected YYYY-MM or YYYY-MM-DD, got {text!r}") from None

    def ms(day: date) -> int:
        return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() * 1000)

    start, _ = parse(first, "start")
    _, after_last = parse(last, "end")
    return ms(start), ms(after_last) - 1
