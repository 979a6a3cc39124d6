"""The test range split into the selection and the holdout period, as engine assets.

Features are computed once over the whole test range (feature ``k`` decides at test row
``k + lookback``). The selection period is the test range cut at ``holdout_row``: the
original's assets built as if the test range ended there (its 1 m candles stop at the holdout
start, so no label or trade sees the holdout). The holdout period's features decide at rows
``holdout_row .. rows - predictions``; their windows may read selection closes (inputs only).
With no holdout the selection period is the original test range. Holdout rows whose window
reaches a normalisation bound have no features (NaN): Epoca would refuse to predict there.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import numpy as np

from epochs.engine.epoch import read_epoch_candles
from epochs.engine.ranges import EpochRanges, epoch_ranges
from epochs.services.paths import epoch_layout
from prediction_models.engine.assets import Candles, PredictionModelAssets, build_assets

if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

    from epochs.models import Epoch


@dataclasses.dataclass(frozen=True)
class Period:
    """Rows ``[start_row, stop_row)`` of the epoch's prediction candles and their time span."""

    start_row: int
    stop_row: int
    start: int  # ms: open time of the first candle
    end: int  # ms: close time of the last candle


def search_ranges(epoch: Epoch) -> EpochRanges:
    return epoch_ranges(
        rows=int(epoch.prediction_rows),  # type: ignore[arg-type]  # a built epoch has its rows
        train_split=epoch.train_split,
        lookback=epoch.regression_lookback,
        predictions=epoch.regression_predictions,
        holdout_share=epoch.holdout_share,
        purge=epoch.purge,
    )


def _as_engine(candles: Any) -> Candles:
    return Candles.from_arrays("candles", candles.ot, candles.ct, candles.o, candles.h, candles.l, candles.c)


def periods(epoch: Epoch, prediction_candles: Any) -> tuple[Period, Period | None]:
    ranges = search_ranges(epoch)
    ot, ct = prediction_candles.ot, prediction_candles.ct

    def period(start: int, stop: int) -> Period:
        return Period(start, stop, int(ot[start]), int(ct[stop - 1]))

    selection = period(ranges.test_row, ranges.holdout_row)
    holdout = period(ranges.holdout_row, ranges.rows) if ranges.has_holdout else None
    return selection, holdout


def period_assets(
    epoch: Epoch, features: dict[str, np.ndarray], pcrs: Sequence[float], lookback: int, predictions: int
) -> tuple[PredictionModelAssets, PredictionModelAssets | None, Period, Period | None]:
    """``(selection assets, holdout assets or None, selection period, holdout period or None)``.

    ``features`` hold each regression's features over the whole test range.
    """
    minutes, prediction, _ = read_epoch_candles(epoch_layout(epoch.id).candlesticks)
    selection, holdout = periods(epoch, prediction)
    test_row = selection.start_row
    stop_ms = holdout.start if holdout else None
    sel_count = selection.stop_row - test_row - lookback - predictions
    selection_assets = build_assets(
        predictions=_as_engine(prediction.take(slice(test_row, selection.stop_row))),
        minutes=_as_engine(minutes.between(None, None if stop_ms is None else stop_ms - 1)),
        features={rid: values[:sel_count] for rid, values in features.items()},
        lookback=lookback,
        forecast_steps=predictions,
        pcrs=pcrs,
    )
    if holdout is None:
        return selection_assets, None, selection, None
    offset = holdout.start_row - test_row - lookback
    holdout_assets = build_assets(
        predictions=_as_engine(prediction.take(slice(holdout.start_row - lookback, holdout.stop_row))),
        minutes=_as_engine(minutes.between(holdout.start, None)),
        features={rid: values[offset:] for rid, values in features.items()},
        lookback=lookback,
        forecast_steps=predictions,
        pcrs=pcrs,
        allow_refused=True,
    )
    return selection_assets, holdout_assets, selection, holdout
