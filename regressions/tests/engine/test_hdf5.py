import json

import h5py
import numpy as np
import pytest
import tensorflow as tf

from regressions.engine.hdf5 import H5MetadataError, read_h5_metadata, save_regression_files, write_legacy_h5
from testing.legacy_keras import LegacyKerasUnavailable, legacy_predict, legacy_python

LOOKBACK, PREDICTIONS = 12, 3
pytestmark = pytest.mark.tensorflow  # builds, trains or loads Keras models


def dense_model():
    return tf.keras.Sequential(
        [
            tf.keras.Input((LOOKBACK,)),
            tf.keras.layers.Dense(6, activation="relu"),
            tf.keras.layers.Dense(PREDICTIONS),
        ]
    )


def conv_model():
    inputs = tf.keras.Input((LOOKBACK, 1))
    x = tf.keras.layers.Reshape((LOOKBACK, 1))(inputs)
    x = tf.keras.layers.Conv1D(4, 5, activation="relu")(x)
    x = tf.keras.layers.MaxPooling1D(2)(x)
    x = tf.keras.layers.Dense(3, activation="relu")(x)  # per time step, as the CDNN templates
    x = tf.keras.layers.Flatten()(x)
    return tf.keras.Model(inputs, tf.keras.layers.Dense(PREDICTIONS)(x))


def recurrent_model():
    return tf.keras.Sequential(
        [
            tf.keras.Input((LOOKBACK, 1)),
            tf.keras.layers.Reshape((LOOKBACK, 1)),
            tf.keras.layers.Conv1D(4, 5, activation="relu"),
            tf.keras.layers.LSTM(5, return_sequences=True),
            tf.keras.layers.GRU(4),
            tf.keras.layers.Dense(PREDICTIONS),
        ]
    )


BUILDERS = {"KR_DNN_S2_TEST": dense_model, "KR_CNN_MP_S1_TEST": conv_model, "KR_CLSTM_GRU_TEST": recurrent_model}


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """Every test model, saved by the engine, with our predictions on a few inputs."""
    tf.keras.utils.set_random_seed(3)
    inputs = np.random.default_rng(3).uniform(0.05, 1.0, size=(4, LOOKBACK))
    models = {}
    for regression_id, build in BUILDERS.items():
        model = build()
        model.compile(optimizer=tf.keras.optimizers.Adam(), loss="mean_absolute_error")
        folder = tmp_path_factory.mktemp(regression_id)
        keras_path, h5_path = save_regression_files(
            model,
            folder,
            regression_id=regression_id,
            description=f"{regression_id} model",
            lookback=LOOKBACK,
            predictions=PREDICTIONS,
        )
        ours = np.concatenate([model.predict_on_batch(inputs[i : i + 1]) for i in range(len(inputs))])
        models[regression_id] = (keras_path, h5_path, ours, model.get_weights())
    return inputs, models


def test_h5_loads_in_the_consumers_legacy_keras_with_equal_predictions(saved):
    try:
        legacy_python()
    except LegacyKerasUnavailable as exc:
        pytest.skip(f"legacy Keras unavailable: {exc}")
    inputs, models = saved
    output = legacy_predict([h5 for _, h5, _, _ in models.values()], inputs)
    assert output["tensorflow"].startswith(("2.10.", "2.12."))
    for regression_id, (_, h5_path, ours, _) in models.items():
        loaded = output["models"][str(h5_path)]
        assert loaded["attrs"] == {
            "id": regression_id,
            "description": f"{regression_id} model",
            "lookback": LOOKBACK,
            "predictions": PREDICTIONS,
        }
        theirs = np.asarray(loaded["predictions"])
        assert theirs.shape == (len(inputs), PREDICTIONS)
        np.testing.assert_allclose(theirs, ours, rtol=0, atol=1e-5)


def test_keras_file_reloads_with_equal_predictions(saved):
    inputs, models = saved
    for keras_path, _, ours, weights in models.values():
        reloaded = tf.keras.models.load_model(keras_path)
        for a, b in zip(reloaded.get_weights(), weights, strict=True):
            assert np.array_equal(a, b)
        np.testing.assert_allclose(reloaded.predict(inputs, verbose=0), ours, rtol=0, atol=1e-6)


def test_metadata_is_read_with_h5py_only(saved):
    _, models = saved
    _, h5_path, _, _ = models["KR_CNN_MP_S1_TEST"]
    meta = read_h5_metadata(h5_path)
    assert (meta.id, meta.lookback, meta.predictions) == ("KR_CNN_MP_S1_TEST", LOOKBACK, PREDICTIONS)
    assert meta.description == "KR_CNN_MP_S1_TEST model"
    assert meta.keras_version.startswith("2.")
    layer_classes = [layer["class_name"] for layer in meta.model_config["config"]["layers"]]
    assert layer_classes == ["InputLayer", "Reshape", "Conv1D", "MaxPooling1D", "Dense", "Flatten", "Dense"]
    with h5py.File(h5_path, "r") as handle:
        assert "training_config" not in handle.attrs  # TF 2.10 cannot rebuild a Keras 2.15 optimizer


def test_missing_attribute_is_reported_with_the_file_name(saved, tmp_path):
    _, models = saved
    _, h5_path, _, _ = models["KR_DNN_S2_TEST"]
    broken = tmp_path / "broken.h5"
    broken.write_bytes(h5_path.read_bytes())
    with h5py.File(broken, "a") as handle:
        del handle.attrs["lookback"]
        handle.attrs["predictions"] = "3"
    with pytest.raises(H5MetadataError, match=r"broken\.h5: missing root attribute\(s\) lookback"):
        read_h5_metadata(broken)
    with h5py.File(broken, "a") as handle:
        handle.attrs["lookback"] = LOOKBACK
    with pytest.raises(H5MetadataError, match="predictions must be an integer"):
        read_h5_metadata(broken)


def test_not_an_hdf5_file_is_refused(tmp_path):
    bogus = tmp_path / "model.h5"
    bogus.write_text(json.dumps({"not": "hdf5"}))
    with pytest.raises(H5MetadataError, match="not a readable HDF5 file"):
        read_h5_metadata(bogus)


def test_failed_write_leaves_no_file(tmp_path):
    with pytest.raises(Exception):
        write_legacy_h5(
            object(), tmp_path / "model.h5", regression_id="KR_X", description="", lookback=1, predictions=1
        )
    assert list(tmp_path.iterdir()) == []
