"""Run the models of an Epoch File with Keras, in a process of their own.

    python -m pipeline.engine.epoch_file_models EPOCH_FILE.zip INPUTS.json

``INPUTS.json`` maps a regression id to a list of input windows (``lookback`` values each).
Each ``<id>.h5`` is read from the zip into memory (by name, never extracted) and loaded as the
legacy Keras-2 HDF5 model it is; every window is fed alone as a ``(1, lookback)`` batch, as
Epoca's prediction service does. Prints JSON lines (``{"progress": ...}``, then
``{"result": {id: [[outputs], ...]}}``), the protocol of the job system's child processes.

Only for files this application wrote: an uploaded file is never loaded by Keras.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[2]


def _emit(**event: Any) -> None:
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


def predict_argv(
    zip_path: str | os.PathLike, inputs_path: str | os.PathLike, python: str = sys.executable
) -> list[str]:
    return [python, "-m", "pipeline.engine.epoch_file_models", str(zip_path), str(inputs_path)]


def predict_in_child(zip_path: Path, inputs: Mapping[str, list], *, timeout: int = 900) -> dict:
    """Run the models in a child process (outside a job) and return their outputs."""
    with tempfile.NamedTemporaryFile("w", suffix=".json") as handle:
        json.dump(dict(inputs), handle)
        handle.flush()
        done = subprocess.run(
            predict_argv(zip_path, handle.name),
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=str(REPO),
            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
        )
    for line in reversed(done.stdout.splitlines()):
        if line.startswith('{"result"'):
            return json.loads(line)["result"]
    raise RuntimeError(
        f"loading the models of {Path(zip_path).name} failed (status {done.returncode}): {done.stderr[-2000:]}"
    )


def main(zip_path: str, inputs_path: str) -> None:
    import h5py  # why: h5py is heavy; loaded only where .h5 files are read
    import tensorflow as tf  # why: TensorFlow is heavy; only the processes that train or predict load it

    inputs = json.loads(Path(inputs_path).read_text())
    outputs = {}
    with zipfile.ZipFile(zip_path) as archive:
        for i, (regression_id, windows) in enumerate(inputs.items()):
            with h5py.File(io.BytesIO(archive.read(f"{regression_id}.h5")), "r") as handle:
                model = tf.keras.models.load_model(handle, compile=False)
            rows = np.asarray(windows, dtype=np.float64)
            outputs[regression_id] = [
                np.asarray(model.predict_on_batch(rows[j : j + 1]))[0].tolist() for j in range(len(rows))
            ]
            _emit(progress=[i + 1, len(inputs), f"ran {regression_id}.h5"])
    _emit(result=outputs)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
