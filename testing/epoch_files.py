"""Test helpers: a realistic prediction-model certificate, consumer-side feature math, zip surgery,
and a tiny Epoch File's members."""

from __future__ import annotations

import copy
import hashlib
import io
import json
import uuid
import zipfile
from pathlib import Path

import h5py
import numpy as np
import pyarrow.parquet as pq

from core.files import read_json, write_json
from epochs.services.paths import epoch_dir
from prediction_models.engine.assets import feature_from_prediction

MODEL_ID_HEX = "0123456789abcdef0123456789abcdef"
POSITIONS = 4


def model_id(epoch) -> str:
    return f"{epoch.id}_{MODEL_ID_HEX}"


def trained_ids(epoch) -> list[str]:
    folder = epoch_dir(epoch.id) / "regressions"
    return sorted(p.name for p in folder.iterdir() if (p / "certificate.json").exists())


def normalized(epoch) -> tuple[np.ndarray, np.ndarray]:
    table = pq.read_table(epoch_dir(epoch.id) / "candlesticks" / "normalized_prediction_candlesticks.parquet")
    return table.column("ot").to_numpy(), table.column("c").to_numpy()


def consumer_feature(last_input: float, last_prediction: float) -> float:
    """EPOCA_CONTRACT §3.2 steps 6-7, written out again for the tests."""
    if last_prediction > last_input:
        change = (last_prediction - last_input) / last_input * 100
    elif last_input > last_prediction:
        change = -((last_input - last_prediction) / last_input * 100)
    else:
        change = 0.0
    change = round(max(change, -100), 2)
    if abs(change) < 0.01:
        return 0.0
    scaled = round((min(abs(change), 1) - 0.01) / (1 - 0.01), 6)
    return scaled if change > 0 else -scaled


def position_inputs(epoch, times: list[int]) -> np.ndarray:
    ot, c = normalized(epoch)
    lookback = epoch.regression_lookback
    rows = []
    for t in times:
        i = int(np.searchsorted(ot, t, "right")) - 1  # the prediction candle open at t
        rows.append(c[i - lookback : i])
    return np.stack(rows)


def build_model_certificate(epoch) -> dict:
    """A certificate as the build writes it, its positions' features computed with ``model.keras``
    in this process (the export verifies them with the ``.h5`` in a child process)."""
    import tensorflow as tf  # why: TensorFlow is heavy; only the processes that train or predict load it

    folder = epoch_dir(epoch.id)
    ids = trained_ids(epoch)
    certificates = [read_json(folder / "regressions" / rid / "certificate.json") for rid in ids]
    ot, _ = normalized(epoch)
    first = int(np.searchsorted(ot, epoch.test_ds_start))
    candles = np.linspace(first + epoch.regression_lookback, len(ot) - 2, POSITIONS).astype(int)
    times = [int(ot[i]) + 7 * 60_000 for i in candles]  # inside the candle: its window is the one before it
    inputs = position_inputs(epoch, times)
    forecasts = []
    for rid in ids:
        model = tf.keras.models.load_model(folder / "regressions" / rid / "model.keras")
        forecasts.append(np.asarray(model.predict(inputs, verbose=0))[:, -1])
    features = np.stack([feature_from_prediction(inputs[:, -1], f) for f in forecasts], axis=1)  # (positions, R)
    balance, positions = 15000.0, []
    for k, t in enumerate(times):
        won = k % 2 == 0
        balance += 300.0 if won else -200.0
        positions.append(
            {
                "t": 1,
                "p": {"r": 1, "t": t, "f": features[k].tolist()},
                "ot": t,
                "ct": t + 3_600_000 - 1,
                "op": 30000.0,
                "tpp": 30900.0,
                "slp": 29100.0,
                "cp": 30900.0 if won else 29100.0,
                "o": won,
                "b": balance,
            }
        )
    discovery = copy.deepcopy(certificates[0]["discovery"])
    return {
        "id": model_id(epoch),
        "creation": 1_700_000_000_000,
        "test_ds_start": epoch.test_ds_start,
        "test_ds_end": epoch.test_ds_end,
        "model": {
            "id": model_id(epoch),
            "price_change_requirement": 3,
            "min_sum_function": "mean",
            "min_sum_adjustment_factor": 1.5,
            "min_increase_sum": 0.5,
            "min_decrease_sum": -0.5,
            "regressions": [c["regression_config"] for c in certificates],
        },
        "discovery": discovery,
        "backtest": {
            "position_size": 10000,
            "initial_balance": 15000,
            "final_balance": balance,
            "profit": balance - 15000,
            "fees": 52.0,
            "leverage": 3,
            "exchange_fee": 0.065,
            "idle_minutes_on_position_close": 180,
            "largest_balance_drawdown": -1.3,
            "positions": positions,
            "increase_num": len(positions),
            "decrease_num": 0,
            "increase_outcome_num": 2,
            "decrease_outcome_num": 0,
            "increase_accuracy": 50.0,
            "decrease_accuracy": 0,
            "accuracy": 50.0,
        },
    }


_CACHE: dict[tuple, dict] = {}


def place_model_certificate(epoch) -> dict:
    key = (epoch.id, epoch.data_fingerprint, tuple(trained_ids(epoch)))
    if key not in _CACHE:
        _CACHE[key] = build_model_certificate(epoch)
    certificate = copy.deepcopy(_CACHE[key])
    write_json(epoch_dir(epoch.id) / "prediction_models" / "certificates" / f"{certificate['id']}.json", certificate)
    return certificate


def rewrite_zip(
    data: bytes, *, drop: tuple[str, ...] = (), replace: dict[str, bytes] | None = None, refresh_manifest: bool = False
) -> bytes:
    """A copy of a zip without ``drop``, with ``replace`` members, and optionally a manifest that matches."""
    replace = replace or {}
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        members = {n: replace.get(n, source.read(n)) for n in source.namelist() if n not in drop}
        if refresh_manifest and "manifest.json" in members:
            manifest = json.loads(members["manifest.json"])
            manifest["members"] = {
                n: {"sha256": hashlib.sha256(b).hexdigest(), "bytes": len(b)}
                for n, b in members.items()
                if n != "manifest.json"
            }
            members["manifest.json"] = json.dumps(manifest).encode()
        for name, body in members.items():
            target.writestr(name, body)
    return out.getvalue()


def zip_of(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, body in members.items():
            archive.writestr(name, body)
    return out.getvalue()


def tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in Path(root).rglob("*")} if Path(root).exists() else set()


# A tiny Epoch File's members and model, for the reader's and the upload's bounds.
EPOCH_ID = "_ALPHA"
REGRESSION_ID = f"KR_DNN_S2_{uuid.UUID(int=1).hex}"


def json_members(epoch_config=None) -> dict[str, bytes]:
    regression = {"id": REGRESSION_ID, "description": "tiny", "lookback": 4, "predictions": 2, "summary": {}}
    return {
        "epoch.json": json.dumps(epoch_config or {"id": EPOCH_ID}).encode(),
        "prediction_model_certificate.json": json.dumps(
            {
                "id": f"{EPOCH_ID}_{uuid.UUID(int=2)}",
                "model": {"id": f"{EPOCH_ID}_{uuid.UUID(int=2)}", "regressions": [regression]},
            }
        ).encode(),
        "regression_certificates.json": json.dumps([{"id": REGRESSION_ID}]).encode(),
    }


def write_h5(path: Path, *, layers=None, description="tiny") -> Path:
    config = {
        "class_name": "Sequential",
        "config": {
            "name": "KR_DNN_S2",
            "layers": layers
            or [
                {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 4], "name": "Input_1"}},
                {"class_name": "Dense", "config": {"name": "Dense_Output", "units": 2, "activation": "linear"}},
            ],
        },
    }
    with h5py.File(path, "w") as handle:
        handle.attrs.update(
            {
                "id": REGRESSION_ID,
                "description": description,
                "lookback": 4,
                "predictions": 2,
                "model_config": json.dumps(config),
            }
        )
    return path
