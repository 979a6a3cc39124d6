"""Load regression ``.h5`` files the way Epoca's prediction service does (TF 2.10 legacy loader).

Run with the legacy-Keras virtualenv's interpreter, never with the application's:

    python load_h5.py INPUTS.npy MODEL.h5 [MODEL.h5 ...]

``INPUTS.npy`` holds a ``(n, lookback)`` float array; every row is fed alone as a ``(1, lookback)``
batch through ``predict_on_batch``, as the service does. Prints one JSON object on stdout:
``{"tensorflow": version, "models": {path: {"attrs": {...}, "predictions": [[...], ...]}}}``.
"""

import json
import sys

import h5py
import numpy as np
import tensorflow as tf
from tensorflow.python.keras.saving import hdf5_format


def _attr(value):
    if isinstance(value, bytes):
        return value.decode("utf-8")
    return value.item() if hasattr(value, "item") else value


def main(inputs_path, model_paths):
    inputs = np.load(inputs_path)
    models = {}
    for path in model_paths:
        with h5py.File(path, "r") as handle:
            attrs = {key: _attr(handle.attrs[key]) for key in ("id", "description", "lookback", "predictions")}
            model = hdf5_format.load_model_from_hdf5(handle)
        rows = [np.asarray(model.predict_on_batch(inputs[i : i + 1]))[0].tolist() for i in range(len(inputs))]
        models[path] = {"attrs": attrs, "predictions": rows}
    json.dump({"tensorflow": tf.__version__, "models": models}, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
