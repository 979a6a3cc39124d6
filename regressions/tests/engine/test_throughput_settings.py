"""Thread pools per training, cuDNN-eligible recurrent layers, the runtime record and the window feed."""

import json

import numpy as np
import pytest

from regressions.engine.architectures import TEMPLATES, build_model
from regressions.engine.families import cudnn_eligible
from regressions.engine.runtime import ThreadSettings, thread_settings
from regressions.engine.windows import build_windows


@pytest.mark.parametrize(
    ("cores", "concurrent", "override", "expected"),
    [
        (2, 2, None, (1, 1)),  # this machine, two django-q2 workers: one core each
        (2, 1, None, (2, 2)),  # one training alone uses both cores
        (16, 1, None, (16, 2)),  # inter-op threads stay few: a sequential model runs one op at a time
        (16, 4, None, (4, 2)),
        (16, 3, None, (5, 2)),
        (2, 8, None, (1, 1)),  # more trainings than cores: never below one thread
        (16, 4, 3, (3, 3)),  # TRAINING_THREADS overrides the share
    ],
)
def test_thread_settings_share_the_cores_among_concurrent_trainings(cores, concurrent, override, expected):
    pools = thread_settings(cores=cores, concurrent=concurrent, override=override)
    assert (pools.intra_op, pools.inter_op) == expected
    if override is None:  # never more threads in all than cores, once there is a core per training
        assert pools.intra_op * concurrent <= max(cores, concurrent)


def test_thread_settings_refuse_nonsense():
    for kwargs in (
        {"cores": 0, "concurrent": 1},
        {"cores": 2, "concurrent": 0},
        {"cores": 2, "concurrent": 1, "override": 0},
    ):
        with pytest.raises(ValueError):
            thread_settings(**kwargs)
    assert ThreadSettings(3, 2).as_dict() == {"intra_op": 3, "inter_op": 2}


def _recurrent_templates():
    return sorted(name for name, spec in TEMPLATES.items() if spec.family in ("LSTM", "GRU", "CLSTM"))


@pytest.mark.tensorflow
@pytest.mark.parametrize("name", _recurrent_templates()[::3])
def test_recurrent_layers_are_cudnn_eligible(name):
    tf = pytest.importorskip("tensorflow")
    spec = TEMPLATES[name]
    config = {"name": name}
    for param, count in spec.requirements.items():
        config[param] = {"activations": ["relu"], "kernel_sizes": [3], "pool_sizes": [2]}.get(param, [8]) * count
    model = build_model(config, 32, 4)
    recurrent = [layer for layer in model.layers if isinstance(layer, tf.keras.layers.RNN)]
    assert len(recurrent) == spec.depth
    for layer in recurrent:
        kind = "GRU" if spec.family == "GRU" else "LSTM"
        assert cudnn_eligible(layer.get_config(), kind), layer.get_config()
        assert layer._could_use_gpu_kernel  # Keras' own test for the cuDNN kernel


def test_cudnn_eligible_rejects_what_cudnn_cannot_run():
    good = {
        "activation": "tanh",
        "recurrent_activation": "sigmoid",
        "recurrent_dropout": 0.0,
        "unroll": False,
        "use_bias": True,
    }
    assert cudnn_eligible(good, "LSTM") and not cudnn_eligible(good, "GRU")  # a GRU also needs reset_after
    assert cudnn_eligible({**good, "reset_after": True}, "GRU")
    for key, value in (("activation", "relu"), ("recurrent_dropout", 0.1), ("unroll", True), ("use_bias", False)):
        assert not cudnn_eligible({**good, key: value}, "LSTM")


def _series():
    rng = np.random.default_rng(3)
    return 0.5 + 0.4 * np.sin(np.arange(700) / 11.0) + 0.02 * rng.standard_normal(700)


@pytest.mark.tensorflow
@pytest.mark.parametrize("purge", [False, True])
def test_window_feed_gives_the_batches_of_the_copied_windows(purge):
    tf = pytest.importorskip("tensorflow")
    from regressions.engine.training import WindowFeed

    windows = build_windows(_series(), lookback=24, predictions=6, train_split=0.7, purge=purge)
    feed = WindowFeed(tf, windows, validation_split=0.2, batch_size=64)
    # The old path: copy the windows to float32, cut validation like Keras, shuffle by a copy.
    x, y = np.asarray(windows.train_x, np.float32), np.asarray(windows.train_y, np.float32)
    cut = int(len(x) * 0.8)
    order = np.random.default_rng([5, 2]).permutation(cut)
    old = [(x[:cut][order][i : i + 64], y[:cut][order][i : i + 64]) for i in range(0, cut, 64)]
    new = [(bx.numpy(), by.numpy()) for bx, by in feed.fit_batches(order)]
    assert len(new) == len(old) == feed.fit_steps
    for (ox, oy), (nx, ny) in zip(old, new, strict=True):
        assert nx.dtype == np.float32 and np.array_equal(nx, ox) and np.array_equal(ny, oy)
    validation = [(bx.numpy(), by.numpy()) for bx, by in feed.validation_batches()]
    assert np.array_equal(np.concatenate([b[0] for b in validation]), x[cut:])
    assert np.array_equal(np.concatenate([b[1] for b in validation]), y[cut:])
    test = np.concatenate([b.numpy() for b in feed.test_batches()])
    assert np.array_equal(test, np.asarray(windows.test_x, np.float32))
    # One stream of epochs (one fit call): each epoch in the order drawn from (seed, epoch).
    stream = [bx.numpy() for bx, _ in feed.epoch_batches(5, 1, 3, feed.fit_steps)]
    for epoch, part in ((1, stream[: feed.fit_steps]), (2, stream[feed.fit_steps :])):
        drawn = np.random.default_rng([5, epoch]).permutation(cut)
        assert np.array_equal(np.concatenate(part), x[:cut][drawn])
    assert len(list(feed.epoch_batches(5, 0, 2, 3))) == 6  # max_batches bounds each epoch
    # max_batches: the first N batches, and validation in the epoch's proportion
    assert [b[0].numpy().tolist() for b in feed.fit_batches(order, 2)] == [b[0].tolist() for b in old[:2]]
    assert feed.validation_steps_for(2) == 1 and feed.validation_steps_for(feed.fit_steps) == len(validation)


@pytest.mark.tensorflow
def test_runtime_record_is_an_added_certificate_key():
    tf = pytest.importorskip("tensorflow")
    from regressions.engine.runtime import runtime_record

    runtime = runtime_record(tf)
    assert runtime["device"] == "CPU" or runtime["device"].startswith("GPU: ")
    assert runtime["tensorflow"] == tf.__version__ and isinstance(runtime["op_determinism"], bool)
    build = tf.sysconfig.get_build_info()
    assert runtime["cuda_version"] == build.get("cuda_version") and runtime["cudnn_version"] == build.get(
        "cudnn_version"
    )
    assert set(runtime["threads"]) == {"intra_op", "inter_op"}
    json.dumps(runtime, allow_nan=False)


def _dense(tf):
    return tf.keras.Sequential([tf.keras.Input((24,)), tf.keras.layers.Dense(4), tf.keras.layers.Dense(6)])


@pytest.mark.tensorflow
def test_max_batches_bounds_each_epoch_and_a_stop_during_an_epoch_drops_it(tmp_path, monkeypatch):
    tf = pytest.importorskip("tensorflow")
    from regressions.engine import training

    windows = build_windows(_series(), lookback=24, predictions=6, train_split=0.7)
    settings = training.TrainingSettings(max_epochs=3, patience=5, batch_size=32, validation_split=0.2)
    hyper = training.Hyperparameters(learning_rate=0.01, loss="mean_squared_error", metric="mean_absolute_error")
    result = training.train_regression(
        lambda: _dense(tf), windows, hyperparameters=hyper, settings=settings, seed=3, max_batches=2
    )
    assert result.epochs_completed == 3 and len(result.epoch_seconds) == 3
    assert int(result.model.optimizer.iterations.numpy()) == 3 * 2  # two mini-batches an epoch
    monkeypatch.setattr(training, "STOP_CHECK_SECONDS", 0.0)
    with pytest.raises(training.TrainingCancelled, match="during epoch 1"):
        training.train_regression(
            lambda: _dense(tf),
            windows,
            hyperparameters=hyper,
            settings=settings,
            seed=3,
            checkpoint_dir=tmp_path,
            should_stop=lambda: True,
        )
    assert not (tmp_path / training.CHECKPOINT_FILE).exists()  # the unfinished epoch left nothing
