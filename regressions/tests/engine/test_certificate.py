import copy
import json
import math
import re
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from core.files import write_json
from regressions.engine.architectures import build_model
from regressions.engine.certificate import (
    CERTIFICATE_KEYS,
    CertificateError,
    build_certificate,
    correct_best_epoch_file,
    corrected_best_epoch,
    dataset_summary,
    full_history,
    validate_certificate,
)
from regressions.engine.discovery import DISCOVERY_KEYS, regression_discovery
from regressions.engine.grid import generate_grid, load_profile

tf = pytest.importorskip("tensorflow")

pytestmark = pytest.mark.tensorflow  # builds, trains or loads Keras models

LOOKBACK, PREDICTIONS = 16, 4


def _config(template: str) -> dict:
    grid = generate_grid(
        load_profile("smoke"),
        epoch_id="_CERT",
        fingerprint="f",
        seed=1,
        lookback=LOOKBACK,
        predictions=PREDICTIONS,
        created_at=datetime(2024, 1, 1, tzinfo=UTC),
    )
    return next(c for c in grid.configs if c["keras_model"]["name"] == template)


def _certificate(config: dict, **extra) -> dict:
    """Certificate of a tiny model fitted for two epochs on random windows."""
    tf.keras.backend.clear_session()
    model = build_model(config["keras_model"], LOOKBACK, PREDICTIONS)
    lr = (
        tf.keras.optimizers.schedules.InverseTimeDecay(0.005, 10, 0.15)
        if config["learning_rate"] == -1
        else config["learning_rate"]
    )
    model.compile(optimizer=tf.keras.optimizers.Adam(lr), loss=config["loss"], metrics=[config["metric"]])
    rng = np.random.default_rng(0)
    x, y = rng.uniform(0.1, 1, (40, LOOKBACK)), rng.uniform(0.1, 1, (40, PREDICTIONS))
    history = model.fit(x, y, validation_split=0.25, epochs=2, verbose=0).history
    preds = model.predict_on_batch(x)
    series = rng.uniform(0.1, 1, 300)
    return build_certificate(
        config=config,
        model=model,
        training_data_start=1_600_000_000_000,
        training_data_end=1_700_000_000_000,
        train_size=30,
        test_size=10,
        training_data_summary=dataset_summary(series),
        training_start=1_700_000_100_000,
        training_end=1_700_000_102_500,
        history=history,
        test_ds_evaluation={
            "mean_absolute_error": float(np.abs(preds - y).mean()),
            "mean_squared_error": float(((preds - y) ** 2).mean()),
        },
        discovery=regression_discovery(x[:, -1], y[:, -1], preds[:, -1]),
        best_epoch=2,
        best_metrics={"val_loss": history["val_loss"][1]},
        seed=60184,
        package_versions={"tensorflow": tf.__version__, "numpy": np.__version__},
        **extra,
    )


@pytest.fixture(scope="module")
def dnn():
    config = _config("KR_DNN_S2")  # MAE loss, MSE metric in the smoke profile
    return config, _certificate(config)


@pytest.fixture(scope="module")
def cnn():
    config = _config("KR_CNN_MP_S2")
    return config, _certificate(config)


def test_certificate_has_the_contract_keys_and_types(dnn):
    config, cert = dnn
    assert list(cert) == list(CERTIFICATE_KEYS)
    json.dumps(cert, allow_nan=False)  # plain JSON, no NaN/Infinity
    assert cert["id"] == config["id"] and cert["description"] == config["description"]
    assert cert["optimizer"] == "Adam"
    assert (cert["loss"], cert["metric"]) == ("mean_absolute_error", "mean_squared_error")
    assert cert["learning_rate"] == config["learning_rate"]
    assert set(cert["training_history"]) == {"loss", "val_loss", "mean_squared_error", "val_mean_squared_error"}
    assert all(len(v) == 2 and all(isinstance(x, float) for x in v) for v in cert["training_history"].values())
    assert set(cert["test_ds_evaluation"]) == {"mean_absolute_error", "mean_squared_error"}
    assert list(cert["discovery"]) == list(DISCOVERY_KEYS) and len(cert["discovery"]["points_hist"]) == 10
    assert cert["training_seconds"] == 2.5 and cert["seed"] == 60184 and cert["best_epoch"] == 2
    assert cert["keras_model_config"] == {**config["keras_model"], "lookback": LOOKBACK, "predictions": PREDICTIONS}


def test_training_data_summary_matches_pandas_describe(dnn):
    series = np.random.default_rng(0).uniform(0.1, 1, 300)
    described = pd.Series(series).describe()
    summary = dataset_summary(series)
    assert list(summary) == ["count", "mean", "std", "min", "25%", "50%", "75%", "max"]
    assert summary == {k: float(described[k]) for k in summary}


def test_regression_config_summary(dnn):
    config, cert = dnn
    rc = cert["regression_config"]
    assert {k: rc[k] for k in ("id", "description", "lookback", "predictions")} == {
        "id": config["id"],
        "description": config["description"],
        "lookback": LOOKBACK,
        "predictions": PREDICTIONS,
    }
    summary = rc["summary"]
    assert summary["model_class"] == "Sequential"
    assert summary["optimizer_config"]["name"] == "Adam"
    assert all(isinstance(v, str) for v in summary["optimizer_config"].values())
    assert all(isinstance(v, str) for v in summary["loss_config"].values())
    assert summary["loss_config"]["name"] == "mean_absolute_error"
    assert summary["metrics"] == ["loss", "mean_squared_error"]
    assert summary["input_shape"] == [None, LOOKBACK] and summary["output_shape"] == [None, PREDICTIONS]
    units = config["keras_model"]["units"]
    # Dense params = inputs * units + units, computed by hand for the DNN stack.
    widths = [LOOKBACK, *units, PREDICTIONS]
    expected = [
        (f"Dense_{i + 1}" if i < len(units) else "Dense_Output", widths[i] * widths[i + 1] + widths[i + 1])
        for i in range(len(widths) - 1)
    ]
    assert [(layer["name"], layer["params"]) for layer in summary["layers"]] == expected
    assert summary["layers"][0]["input_shape"] == [None, LOOKBACK]
    assert summary["total_params"] == summary["trainable_params"] == sum(p for _, p in expected)
    assert summary["non_trainable_params"] == 0


def test_cnn_certificate_writes_an_empty_units_list(cnn):
    config, cert = cnn
    assert "units" not in config["keras_model"]
    assert cert["keras_model_config"]["units"] == []
    assert cert["keras_model_config"]["pool_sizes"] == [2, 2]
    assert cert["regression_config"]["summary"]["layers"][0]["name"] == "Reshape_1"
    assert cert["regression_config"]["summary"]["loss_config"]["name"] == config["loss"]


def test_short_metric_names_become_full_names():
    history = full_history({"loss": [1], "val_loss": [2], "mae": [3], "val_mse": [4]})
    assert history == {"loss": [1.0], "val_loss": [2.0], "mean_absolute_error": [3.0], "val_mean_squared_error": [4.0]}


def _broken(cert, mutate):
    bad = copy.deepcopy(cert)
    mutate(bad)
    return bad


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda c: c["training_history"]["loss"].__setitem__(0, math.nan), "training_history.loss[0]"),
        (lambda c: c["test_ds_evaluation"].__setitem__("mean_squared_error", math.inf), "test_ds_evaluation"),
        (lambda c: c["test_ds_evaluation"].pop("mean_absolute_error"), "test_ds_evaluation"),
        (
            lambda c: c["training_history"].__setitem__("mse", c["training_history"].pop("mean_squared_error")),
            "training_history",
        ),
        (lambda c: c["keras_model_config"].pop("units"), "keras_model_config"),
        (lambda c: c["discovery"]["points_hist"].pop(), "points_hist"),
        (lambda c: c["discovery"].pop("accuracy"), "discovery"),
        (lambda c: c.__setitem__("optimizer", "adam"), "optimizer"),
        (lambda c: c.__setitem__("id", "KR_DNN_S2_short"), "id"),
        (lambda c: c.__setitem__("train_size", True), "train_size"),
        (
            lambda c: c["regression_config"]["summary"]["optimizer_config"].__setitem__("beta_1", 0.9),
            "optimizer_config",
        ),
        (lambda c: c["regression_config"].__setitem__("lookback", 99), "regression_config"),
        (lambda c: c["regression_config"]["summary"]["layers"][0].pop("trainable"), "layers[0]"),
        (lambda c: c.pop("package_versions"), "missing keys"),
    ],
)
def test_validate_certificate_refuses_contract_breaks(dnn, mutate, message):
    _, cert = dnn
    validate_certificate(cert)
    with pytest.raises(CertificateError, match=re.escape(message)):
        validate_certificate(_broken(cert, mutate))


def test_build_refuses_unknown_optimizer(dnn):
    config, _ = dnn
    with pytest.raises(CertificateError, match="config.optimizer"):
        build_certificate(
            config={**config, "optimizer": "sgd"},
            model=None,
            training_data_start=0,
            training_data_end=1,
            train_size=1,
            test_size=1,
            training_data_summary={},
            training_start=0,
            training_end=1,
            history={},
            test_ds_evaluation={},
            discovery={},
            best_epoch=1,
            best_metrics={},
            seed=1,
            package_versions={},
        )


def test_best_epoch_counts_from_one_and_stays_within_the_history(dnn):
    _, cert = dnn
    validate_certificate({**cert, "best_epoch": 1})
    with pytest.raises(CertificateError, match="best_epoch"):
        validate_certificate({**cert, "best_epoch": 3})  # two epochs were trained


def test_certificates_written_with_a_zero_based_best_epoch_are_corrected(dnn, tmp_path):
    _, cert = dnn
    losses = cert["training_history"]["val_loss"]
    first = {**cert, "best_epoch": 0, "best_metrics": {**cert["best_metrics"], "val_loss": losses[0]}}
    second = {**cert, "best_epoch": 1, "best_metrics": {**cert["best_metrics"], "val_loss": losses[1]}}
    assert corrected_best_epoch(first) == 1 and corrected_best_epoch(second) == 2
    assert corrected_best_epoch(cert) is None  # already counted from 1 (epoch 2, its metrics at index 1)
    single, batched = tmp_path / "certificate.json", tmp_path / "batch.json"
    write_json(single, first)
    write_json(batched, [second, cert])
    assert correct_best_epoch_file(single) == 1 and correct_best_epoch_file(single) is None
    correct_best_epoch_file(batched)
    assert json.loads(single.read_text())["best_epoch"] == 1
    assert [c["best_epoch"] for c in json.loads(batched.read_text())] == [2, 2]
    validate_certificate(json.loads(single.read_text()))


def test_runtime_is_an_added_key_the_check_accepts_and_checks(dnn):
    from regressions.engine.runtime import runtime_record

    config, _ = dnn
    cert = _certificate(config, runtime=runtime_record(tf))
    assert list(cert) == [*CERTIFICATE_KEYS, "runtime"]  # the original's keys first, unchanged
    validate_certificate(cert)
    for bad in (
        {**cert["runtime"], "op_determinism": "yes"},
        {**cert["runtime"], "threads": {"intra_op": -1}},
        {k: v for k, v in cert["runtime"].items() if k != "device"},
    ):
        with pytest.raises(CertificateError, match="runtime"):
            validate_certificate({**cert, "runtime": bad})
