"""Prediction-model assets: features, labels and the lookback indexer (ORIGINAL.md §7.1).

Everything a prediction-model search needs, computed once from the test range:

* ``features``  float64 ``(R, F)``: one row per regression, ``F = len(P) - lookback - predictions``;
  feature ``k`` belongs to prediction candle ``k + lookback`` (decision at that candle's open).
* ``labels``    ``{pcr: int8 array}``: 1 if the price reached ``open + pcr %`` first, -1 if it
  reached ``open - pcr %`` first, one per prediction candle from ``lookback`` on, stopping at
  the first candle whose outcome is never reached.
* ``lookback_indexer`` int64, aligned with the 1 m candles: the feature index current at each
  minute.
* the 1 m candles themselves (``ot, ct, o, h, l, c``) from ``P[lookback].ot`` on.

Stored as one ``assets.npz`` (binary, written atomically); :func:`export_json` writes the
original's ``features.json``, ``labels.json`` and ``lookback_indexer.json`` on request.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numba as nb
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import ArrayLike

from core.files import atomic_open, write_json
from prediction_models.engine.rounding import nb_alter_by_pct, nb_pct_change, py_round

ASSETS_FILE = "assets.npz"
MIN_FEATURE_VALUE = 0.01
MAX_FEATURE_VALUE = 1.0
_BLOCK = 64  # minutes per block when searching the first price touch


class AssetsError(ValueError):
    """Inputs that cannot produce valid prediction-model assets."""


@dataclasses.dataclass(frozen=True)
class Candles:
    """Candles as parallel arrays; ``ot``/``ct`` in epoch milliseconds."""

    ot: np.ndarray
    ct: np.ndarray
    o: np.ndarray
    h: np.ndarray
    l: np.ndarray
    c: np.ndarray

    @classmethod
    def from_arrays(
        cls, name: str, ot: ArrayLike, ct: ArrayLike, o: ArrayLike, h: ArrayLike, l: ArrayLike, c: ArrayLike
    ) -> Candles:
        arrays = [np.ascontiguousarray(ot, dtype=np.int64), np.ascontiguousarray(ct, dtype=np.int64)]
        arrays += [np.ascontiguousarray(a, dtype=np.float64) for a in (o, h, l, c)]
        sizes = {a.shape for a in arrays}
        if len(sizes) != 1 or arrays[0].ndim != 1:
            raise AssetsError(f"{name}: ot, ct, o, h, l, c must be 1-D arrays of one length, got {sizes}")
        if len(arrays[0]) and np.any(np.diff(arrays[0]) <= 0):
            row = int(np.argmax(np.diff(arrays[0]) <= 0)) + 1
            raise AssetsError(f"{name}: ot must increase strictly (row {row})")
        return cls(*arrays)

    def __len__(self) -> int:
        return len(self.ot)

    def since(self, ot: int) -> Candles:
        start = int(np.searchsorted(self.ot, ot, "left"))
        return Candles(*(a[start:] for a in dataclasses.astuple(self)))


@dataclasses.dataclass(frozen=True)
class PredictionModelAssets:
    regression_ids: tuple[str, ...]
    features: np.ndarray  # float64 (R, F)
    labels: dict[float, np.ndarray]  # pcr -> int8
    minutes: Candles  # the 1 m candles D, from P[lookback].ot on
    lookback_indexer: np.ndarray  # int64 aligned with minutes

    @property
    def features_num(self) -> int:
        return self.features.shape[1]

    @property
    def refused(self) -> np.ndarray:
        """Rows without features: Epoca would refuse to predict there (holdout, forward tests)."""
        return np.isnan(self.features).any(axis=0)

    def feature_rows(self, regression_ids: Sequence[str]) -> np.ndarray:
        index = {rid: i for i, rid in enumerate(self.regression_ids)}
        return np.array([index[rid] for rid in regression_ids], dtype=np.int64)


# ---------------------------------------------------------------------------- features


@nb.njit(cache=True)
def _features(x_last: np.ndarray, pred_last: np.ndarray, out: np.ndarray) -> None:
    for i in range(x_last.shape[0]):
        change = nb_pct_change(x_last[i], pred_last[i])
        magnitude = abs(change)
        if magnitude < MIN_FEATURE_VALUE:
            out[i] = 0.0
            continue
        if magnitude > MAX_FEATURE_VALUE:
            magnitude = MAX_FEATURE_VALUE
        scaled = py_round((magnitude - MIN_FEATURE_VALUE) / (MAX_FEATURE_VALUE - MIN_FEATURE_VALUE), 6)
        out[i] = scaled if change > 0 else -scaled


def feature_from_prediction(x_last: ArrayLike, pred_last: ArrayLike, refused: ArrayLike | None = None) -> np.ndarray:
    """The original feature, vectorised: scaled % change of the last forecast vs the last input.

    ``c = pct_change(x_last, pred_last)`` (2 decimals); ``|c| < 0.01`` gives 0, ``|c| > 1`` is
    clipped to 1, then ``sign(c) * round((|c| - 0.01) / (1 - 0.01), 6)``, so features lie in [-1, 1].
    Rows where ``refused`` is true (Epoca would not predict there) have no feature: NaN.
    """
    x = np.ascontiguousarray(x_last, dtype=np.float64)
    p = np.ascontiguousarray(pred_last, dtype=np.float64)
    if x.shape != p.shape or x.ndim != 1:
        raise AssetsError(f"x_last {x.shape} and pred_last {p.shape} must be 1-D of one length")
    refused = np.zeros(len(x), bool) if refused is None else np.asarray(refused, bool)
    if refused.shape != x.shape:
        raise AssetsError(f"refused {refused.shape} must match x_last {x.shape}")
    if np.any(x[~refused] <= 0):
        raise AssetsError("x_last must be > 0 (normalised closes are in (0, 1])")
    out = np.empty_like(x)
    _features(np.where(refused, 1.0, x), p, out)
    out[refused] = np.nan
    return out


def refused_windows(values: ArrayLike, lookback: int, highest: float, lowest: float) -> np.ndarray:
    """Per window of ``lookback`` consecutive values: True when Epoca refuses to predict from it.

    Epoca's prediction service requires ``max < highest`` and ``min > lowest`` over its input
    (EPOCA_CONTRACT.md §3.2, strict); in normalised space the bounds are 1 and 0. Window ``k``
    holds ``values[k : k + lookback]``.
    """
    windows = sliding_window_view(np.asarray(values, dtype=np.float64), lookback)
    return (windows.max(axis=1) >= highest) | (windows.min(axis=1) <= lowest)


def features_from_forecasts(
    c_norm: ArrayLike, lookback: int, pred_last: ArrayLike, refused: ArrayLike | None = None
) -> np.ndarray:
    """Features of one regression from its last forecast step per test window.

    ``c_norm`` is the normalised close series of the test range (one value per prediction
    candle); window ``k`` ends at candle ``k + lookback - 1``. ``refused`` marks windows
    without a feature (see :func:`feature_from_prediction`).
    """
    pred = np.asarray(pred_last, dtype=np.float64)
    x_last = np.asarray(c_norm, dtype=np.float64)[lookback - 1 : lookback - 1 + len(pred)]
    if len(x_last) != len(pred):
        raise AssetsError(f"{len(pred)} forecasts but only {len(x_last)} windows in c_norm")
    return feature_from_prediction(x_last, pred, refused)


# ---------------------------------------------------------------------------- labels


@nb.njit(cache=True)
def _block_extremes(h: np.ndarray, l: np.ndarray, block: int) -> tuple[np.ndarray, np.ndarray]:
    n_blocks = (len(h) + block - 1) // block
    bh = np.empty(n_blocks)
    bl = np.empty(n_blocks)
    for b in range(n_blocks):
        start = b * block
        stop = min(len(h), start + block)
        bh[b] = h[start:stop].max()
        bl[b] = l[start:stop].min()
    return bh, bl


@nb.njit(cache=True)
def first_touch(
    h: np.ndarray,
    l: np.ndarray,
    bh: np.ndarray,
    bl: np.ndarray,
    block: int,
    start: int,
    upper: float,
    lower: float,
    high_first: bool,
) -> tuple[int, bool]:
    """First minute ``j >= start`` with ``h[j] >= upper`` or ``l[j] <= lower``.

    Returns ``(j, hit_upper)``; ``j == len(h)`` when neither is ever reached. Within one
    minute the high is tested first when ``high_first`` else the low. Whole blocks that cannot
    touch either level are skipped using their precomputed extremes.
    """
    n = len(h)
    j = start
    while j < n:
        if j % block == 0:
            b = j // block
            if bh[b] < upper and bl[b] > lower:
                j += block
                continue
        hit_up = h[j] >= upper
        hit_low = l[j] <= lower
        if hit_up or hit_low:
            if hit_up and hit_low:
                return j, high_first
            return j, hit_up
        j += 1
    return n, False


@nb.njit(cache=True)
def _labels(
    p_ot: np.ndarray, p_o: np.ndarray, first: int, m_ot: np.ndarray, h: np.ndarray, l: np.ndarray, pcr: float
) -> np.ndarray:
    bh, bl = _block_extremes(h, l, _BLOCK)
    out = np.empty(len(p_ot) - first, dtype=np.int8)
    count = 0
    for i in range(first, len(p_ot)):
        up = nb_alter_by_pct(p_o[i], pcr)
        down = nb_alter_by_pct(p_o[i], -pcr)
        start = np.searchsorted(m_ot, p_ot[i], "right")  # strictly after the candle's open
        j, hit_up = first_touch(h, l, bh, bl, _BLOCK, start, up, down, True)
        if j == len(h):
            break
        out[count] = 1 if hit_up else -1
        count += 1
    return out[:count]


def build_labels(predictions: Candles, minutes: Candles, lookback: int, pcr: float) -> np.ndarray:
    """Labels for one price-change requirement, one per prediction candle from ``lookback`` on."""
    if pcr <= 0:
        raise AssetsError(f"price change requirement must be > 0, got {pcr}")
    return _labels(predictions.ot, predictions.o, lookback, minutes.ot, minutes.h, minutes.l, float(pcr))


# ---------------------------------------------------------------------------- indexer


def build_lookback_indexer(prediction_ot: np.ndarray, minute_ot: np.ndarray, lookback: int) -> np.ndarray:
    """For each minute: index in P of the last prediction candle opened at or before it, minus lookback."""
    k = np.searchsorted(prediction_ot, minute_ot, "right").astype(np.int64) - 1 - lookback
    if len(k) and k[0] < 0:
        raise AssetsError("1 m candles start before the prediction candle at index lookback")
    return k


# ---------------------------------------------------------------------------- build / store


def build_assets(
    *,
    predictions: Candles,
    minutes: Candles,
    features: Mapping[str, np.ndarray],
    lookback: int,
    forecast_steps: int,
    pcrs: Sequence[float] = (3,),
    allow_refused: bool = False,
) -> PredictionModelAssets:
    """Assemble the assets of the test range.

    ``predictions`` are the test-range prediction candles P, ``minutes`` the 1 m candles of the
    same range (trimmed here to start at ``P[lookback].ot``), ``features`` one array of ``F``
    features per regression id (see :func:`features_from_forecasts`). With ``allow_refused``
    (holdout and forward tests) NaN marks a row Epoca refuses: no sum, so no new position.
    """
    if lookback < 6 or forecast_steps < 1:
        raise AssetsError(f"lookback must be >= 6 and forecast_steps >= 1 (got {lookback}, {forecast_steps})")
    expected = len(predictions) - lookback - forecast_steps
    if expected <= 0:
        raise AssetsError(f"{len(predictions)} prediction candles leave no feature (lookback {lookback})")
    if not features:
        raise AssetsError("no regression features")
    rows = []
    for rid, values in features.items():
        row = np.asarray(values, dtype=np.float64)
        if row.shape != (expected,):
            raise AssetsError(f"features of {rid}: expected {expected} values, got {row.shape}")
        valid = np.abs(row) <= 1
        if allow_refused:
            valid |= np.isnan(row)
        if not np.all(valid):
            raise AssetsError(f"features of {rid}: values must lie in [-1, 1]")
        rows.append(row)
    trimmed = minutes.since(int(predictions.ot[lookback]))
    if len(trimmed) == 0:
        raise AssetsError("no 1 m candle after the prediction candle at index lookback")
    return PredictionModelAssets(
        regression_ids=tuple(features),
        features=np.vstack(rows),
        labels={float(p): build_labels(predictions, trimmed, lookback, float(p)) for p in pcrs},
        minutes=trimmed,
        lookback_indexer=build_lookback_indexer(predictions.ot, trimmed.ot, lookback),
    )


def save_assets(assets: PredictionModelAssets, directory: str | os.PathLike) -> Path:
    """Write ``assets.npz`` atomically into ``directory``."""
    path = Path(directory) / ASSETS_FILE
    pcrs = sorted(assets.labels)
    arrays = {
        "regression_ids": np.array(assets.regression_ids, dtype=str),
        "features": assets.features,
        "pcrs": np.array(pcrs, dtype=np.float64),
        "lookback_indexer": assets.lookback_indexer,
        **{f"labels_{i}": assets.labels[p] for i, p in enumerate(pcrs)},
        **{f"minute_{f.name}": getattr(assets.minutes, f.name) for f in dataclasses.fields(Candles)},
    }
    with atomic_open(path, "wb") as handle:
        np.savez(handle, **arrays)
    return path


def load_assets(directory: str | os.PathLike) -> PredictionModelAssets:
    path = Path(directory) / ASSETS_FILE
    with np.load(path, allow_pickle=False) as data:
        pcrs = data["pcrs"].tolist()
        return PredictionModelAssets(
            regression_ids=tuple(data["regression_ids"].tolist()),
            features=data["features"],
            labels={p: data[f"labels_{i}"] for i, p in enumerate(pcrs)},
            minutes=Candles(*(data[f"minute_{f.name}"] for f in dataclasses.fields(Candles))),
            lookback_indexer=data["lookback_indexer"],
        )


def pcr_key(pcr: float) -> str:
    """The original's JSON key for a requirement: ``str(3)`` -> ``"3"``, ``str(1.5)`` -> ``"1.5"``."""
    return str(int(pcr)) if float(pcr).is_integer() else str(pcr)


def export_json(assets: PredictionModelAssets, directory: str | os.PathLike) -> list[Path]:
    """Write the original's ``features.json``, ``labels.json`` and ``lookback_indexer.json``."""
    directory = Path(directory)
    features = {rid: assets.features[i].tolist() for i, rid in enumerate(assets.regression_ids)}
    labels = {pcr_key(p): v.astype(int).tolist() for p, v in assets.labels.items()}
    indexer = dict(zip(map(str, assets.minutes.ot.tolist()), assets.lookback_indexer.tolist(), strict=False))
    return [
        write_json(directory / "features.json", features),
        write_json(directory / "labels.json", labels),
        write_json(directory / "lookback_indexer.json", indexer),
    ]
