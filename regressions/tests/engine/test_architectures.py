import json
from datetime import UTC, datetime

import numpy as np
import pytest

from regressions.engine.architectures import (
    TEMPLATES,
    ArchitectureConfigError,
    build_model,
    validate_keras_model_config,
)
from regressions.engine.grid import generate_grid, load_profile

tf = pytest.importorskip("tensorflow")

pytestmark = pytest.mark.tensorflow  # builds, trains or loads Keras models


def tiny_config(name: str) -> dict:
    """Smallest valid config of a template (8 units/filters)."""
    config = {"name": name}
    for param, count in TEMPLATES[name].requirements.items():
        config[param] = {"activations": ["relu"], "kernel_sizes": [3], "pool_sizes": [2]}.get(param, [8]) * count
    return config


def expected_layer_names(name: str) -> list[str]:
    """Layer stack of ORIGINAL.md §3.2, written out independently of the builder."""
    spec = TEMPLATES[name]
    n, mp = spec.depth, spec.max_pooling
    if spec.family == "DNN":
        return [f"Dense_{i}" for i in range(1, n + 1)] + ["Dense_Output"]
    names = ["Reshape_1"]
    if spec.family == "CNN":
        for i in range(1, n + 1):
            names += [f"Conv1D_{i}"] + ([f"MaxPooling1D_{i}"] if mp else [])
        return [*names, "Flatten_1", "Dense_Output"]
    if spec.family in ("CDNN", "CLSTM"):
        names += ["Conv1D_1"] + (["MaxPooling1D_1"] if mp else [])
    if spec.family == "CDNN":
        return names + [f"Dense_{i}" for i in range(1, n + 1)] + ["Flatten_1", "Dense_Output"]
    kind = "GRU" if spec.family == "GRU" else "LSTM"
    return names + [f"{kind}_{i}" for i in range(1, n + 1)] + ["Dense_Output"]


def test_every_template_is_listed():
    expected = {f"KR_{f}{mp}_S{n}" for f in ("CNN", "CDNN", "CLSTM") for mp in ("", "_MP") for n in range(2, 6)}
    expected |= {f"KR_{f}_S{n}" for f in ("DNN", "LSTM", "GRU") for n in range(2, 6)}
    assert set(TEMPLATES) == expected


# Recurrent layers take about a second each to build on a CPU: the fast suite builds the
# shallowest and deepest of each recurrent family, the slow test every original architecture.
FAST_TEMPLATES = sorted(n for n, s in TEMPLATES.items() if s.family in ("CNN", "DNN", "CDNN") or s.depth in (2, 5))


@pytest.mark.parametrize("name", FAST_TEMPLATES)
def test_each_template_builds_the_original_stack(name):
    tf.keras.backend.clear_session()
    model = build_model(tiny_config(name), lookback=96, predictions=4)
    assert type(model).__name__ == "Sequential"
    assert [layer.name for layer in model.layers] == expected_layer_names(name)
    assert model.input_shape == (None, 96) and model.output_shape == (None, 4)
    out = model.layers[-1]
    assert isinstance(out, tf.keras.layers.Dense) and out.get_config()["activation"] == "linear"
    for layer in model.layers:
        if isinstance(layer, tf.keras.layers.Conv1D):
            assert layer.get_config()["padding"] == "valid"
        if isinstance(layer, (tf.keras.layers.LSTM, tf.keras.layers.GRU)):
            assert layer.get_config()["activation"] == "tanh"  # Keras default, as the original


@pytest.mark.parametrize("name", ["KR_DNN_S2", "KR_CNN_S2", "KR_CLSTM_MP_S2"])
def test_models_predict_from_the_2d_input_epoca_feeds(name):
    tf.keras.backend.clear_session()
    model = build_model(tiny_config(name), lookback=16, predictions=4)
    assert model.predict_on_batch(np.zeros((1, 16), dtype="float32")).shape == (1, 4)


def test_validator_is_strict():
    good = tiny_config("KR_CDNN_MP_S2")
    assert validate_keras_model_config(good).name == "KR_CDNN_MP_S2"
    with pytest.raises(ArchitectureConfigError, match="unknown template"):
        validate_keras_model_config({**good, "name": "KR_XNN_S2"})
    with pytest.raises(ArchitectureConfigError, match="pool_sizes"):
        validate_keras_model_config({k: v for k, v in good.items() if k != "pool_sizes"})
    with pytest.raises(ArchitectureConfigError, match="at least 3"):
        validate_keras_model_config({**good, "activations": ["relu", "relu"]})
    with pytest.raises(ArchitectureConfigError, match="does not use pool_sizes"):
        validate_keras_model_config({**tiny_config("KR_CDNN_S2"), "pool_sizes": [2]})
    with pytest.raises(ArchitectureConfigError, match="unknown params"):
        validate_keras_model_config({**good, "dropout_rates": [0.1]})
    with pytest.raises(ArchitectureConfigError, match="positive integer"):
        validate_keras_model_config({**good, "units": [8, 0]})
    # Certificates carry units: [] for templates without units; that counts as absent.
    assert validate_keras_model_config({**tiny_config("KR_CNN_S2"), "units": []}).family == "CNN"


def test_stack_must_leave_a_time_step():
    config = {
        "name": "KR_CNN_MP_S5",
        "filters": [8] * 5,
        "kernel_sizes": [5, 3, 3, 3, 3],
        "pool_sizes": [2] * 5,
        "activations": ["relu"] * 5,
    }
    validate_keras_model_config(config, lookback=128)
    with pytest.raises(ArchitectureConfigError, match="lookback 32"):
        build_model(config, lookback=32, predictions=8)


def _original_architectures() -> list[dict]:
    grid = generate_grid(
        load_profile("original"),
        epoch_id="_T",
        fingerprint="f",
        seed=1,
        lookback=128,
        predictions=32,
        created_at=datetime(2024, 1, 1, tzinfo=UTC),
    )
    distinct = {json.dumps(c["keras_model"], sort_keys=True) for c in grid.configs + grid.unit_test.configs}
    return [json.loads(d) for d in sorted(distinct)]


@pytest.mark.slow
def test_every_original_architecture_builds():
    architectures = _original_architectures()
    assert len(architectures) == 286
    for config in architectures:
        tf.keras.backend.clear_session()
        model = build_model(config, lookback=128, predictions=32)
        assert model.input_shape == (None, 128) and model.output_shape == (None, 32), config
