import itertools
import math

import numpy as np
import pytest
import tensorflow as tf
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from regressions.engine import training
from regressions.engine.training import (
    CheckpointError,
    Hyperparameters,
    TrainingCancelled,
    TrainingSettings,
    train_regression,
)
from regressions.engine.windows import build_windows

LOOKBACK, PREDICTIONS = 16, 4
pytestmark = pytest.mark.tensorflow  # builds, trains or loads Keras models
# With these data and seed the fixed learning rate stops early (at epoch index 7 of 12).
SETTINGS = TrainingSettings(max_epochs=12, patience=2, batch_size=32, validation_split=0.2)
FIXED = Hyperparameters(learning_rate=0.06, loss="mean_absolute_error", metric="mean_squared_error")
SCHEDULED = Hyperparameters(learning_rate=-1, loss="mean_squared_error", metric="mean_absolute_error")


class Killed(Exception):
    pass


def dense_model():
    return tf.keras.Sequential(
        [
            tf.keras.Input((LOOKBACK,)),
            tf.keras.layers.Dense(8, activation="relu"),
            tf.keras.layers.Dense(PREDICTIONS),
        ]
    )


def conv_model():
    inputs = tf.keras.Input((LOOKBACK, 1))
    x = tf.keras.layers.Reshape((LOOKBACK, 1))(inputs)
    x = tf.keras.layers.Conv1D(4, 5, activation="relu")(x)
    x = tf.keras.layers.Flatten()(x)
    return tf.keras.Model(inputs, tf.keras.layers.Dense(PREDICTIONS)(x))


@pytest.fixture(scope="module")
def windows():
    rng = np.random.default_rng(7)
    t = np.arange(420)
    series = 0.5 + 0.3 * np.sin(t / 9.0) + 0.05 * rng.standard_normal(len(t))
    series = (series - series.min() + 0.01) / (series.max() - series.min() + 0.01)
    return build_windows(series, lookback=LOOKBACK, predictions=PREDICTIONS, train_split=0.75)


def _train(windows, build, hyper, checkpoint_dir=None, settings=SETTINGS, **kwargs):
    return train_regression(
        build, windows, hyperparameters=hyper, settings=settings, seed=11, checkpoint_dir=checkpoint_dir, **kwargs
    )


def _assert_same_training(resumed, uninterrupted):
    assert resumed.history == uninterrupted.history
    assert (resumed.best_epoch_index, resumed.stopped_epoch, resumed.epochs_completed) == (
        uninterrupted.best_epoch_index,
        uninterrupted.stopped_epoch,
        uninterrupted.epochs_completed,
    )
    for a, b in zip(resumed.model.get_weights(), uninterrupted.model.get_weights(), strict=True):
        assert np.array_equal(a, b)
    assert np.array_equal(resumed.test_predictions, uninterrupted.test_predictions)
    assert resumed.test_evaluation == uninterrupted.test_evaluation


@pytest.mark.parametrize("warm", [False, True], ids=["alone", "after-another-model"])
def test_killed_run_resumes_to_identical_weights_and_history(windows, tmp_path, warm):
    # ``warm``: as in a worker's warm training process, another model trains in the same process
    # before each run (the process-level test: regressions/tests/services/test_warm_training.py).
    def before_each_run():
        if warm:
            _train(windows, conv_model, SCHEDULED, settings=TrainingSettings(max_epochs=2, patience=2, batch_size=32))

    before_each_run()
    uninterrupted = _train(windows, dense_model, FIXED)
    # Killed twice: early on, and one epoch before early stopping fires (its patience
    # counter is then mid-way and must survive the resume).
    assert uninterrupted.stopped_epoch == 7 and uninterrupted.best_epoch_index == 5

    def kill_after(epoch):
        def progress(done, total, message):
            if done == epoch:
                raise Killed

        return progress

    for epoch in (3, 7):
        before_each_run()
        with pytest.raises(Killed):
            _train(windows, dense_model, FIXED, tmp_path, progress=kill_after(epoch))
    before_each_run()
    resumed = _train(windows, dense_model, FIXED, tmp_path)

    assert resumed.resumed_at_epoch == 7
    _assert_same_training(resumed, uninterrupted)


def test_cancelled_run_with_learning_rate_schedule_resumes_identically(windows, tmp_path):
    short = TrainingSettings(max_epochs=4, patience=2, batch_size=32)
    uninterrupted = _train(windows, conv_model, SCHEDULED, settings=short)
    epochs_seen = []

    with pytest.raises(TrainingCancelled):
        _train(
            windows,
            conv_model,
            SCHEDULED,
            tmp_path,
            settings=short,
            progress=lambda done, total, message: epochs_seen.append(done),
            should_stop=lambda: len(epochs_seen) >= 2,
        )
    resumed = _train(windows, conv_model, SCHEDULED, tmp_path, settings=short)

    assert epochs_seen == [1, 2] and resumed.resumed_at_epoch == 2
    _assert_same_training(resumed, uninterrupted)
    # The schedule ran on the restored iteration count: one step per mini-batch of every epoch.
    steps_per_epoch = math.ceil(math.floor(windows.train_size * 0.8) / short.batch_size)
    assert int(resumed.model.optimizer.iterations.numpy()) == steps_per_epoch * resumed.epochs_completed


def test_result_holds_best_weights_and_test_metrics(windows):
    result = _train(windows, dense_model, FIXED)
    assert set(result.history) == {"loss", "val_loss", "mean_squared_error", "val_mean_squared_error"}
    val_losses = result.history["val_loss"]
    assert result.best_epoch_index == int(np.argmin(val_losses))
    assert len(val_losses) == result.epochs_completed

    # Validation = the chronologically last 20 % of the training windows.
    cut = int(windows.train_size * 0.8)
    val_pred = result.model.predict(np.asarray(windows.train_x[cut:], np.float32), verbose=0)
    assert np.mean(np.abs(val_pred - windows.train_y[cut:])) == pytest.approx(min(val_losses), rel=1e-5)

    test_pred = result.model.predict(np.asarray(windows.test_x, np.float32), verbose=0)
    assert np.array_equal(result.test_predictions, test_pred)
    errors = [float(p) - float(t) for p, t in zip(test_pred.ravel(), windows.test_y.ravel(), strict=False)]
    assert result.test_evaluation["mean_absolute_error"] == pytest.approx(sum(map(abs, errors)) / len(errors))
    assert result.test_evaluation["mean_squared_error"] == pytest.approx(sum(e * e for e in errors) / len(errors))


def test_checkpoint_of_other_settings_is_refused(windows, tmp_path):
    def kill(done, total, message):
        raise Killed

    with pytest.raises(Killed):
        _train(windows, dense_model, FIXED, tmp_path, progress=kill)
    other = Hyperparameters(learning_rate=0.02, loss="mean_absolute_error", metric="mean_squared_error")
    with pytest.raises(CheckpointError, match="hyperparameters"):
        _train(windows, dense_model, other, tmp_path)


class _MarkedModel:
    """Stands in for a Keras model: its 'weights' are the epoch number that produced them."""

    def __init__(self):
        self.epoch, self.stop_training = -1, False

    def get_weights(self):
        return [np.array(self.epoch)]

    def set_weights(self, weights):
        self.epoch = int(weights[0])


@hypothesis_settings(max_examples=60, deadline=None)
@given(
    losses=st.lists(st.one_of(st.floats(0, 1), st.just(math.nan)), min_size=1, max_size=25),
    patience=st.integers(0, 4),
)
def test_early_stopping_follows_keras(losses, patience):
    keras_model, keras_stop = (
        _MarkedModel(),
        tf.keras.callbacks.EarlyStopping(monitor="val_loss", mode="min", patience=patience, restore_best_weights=True),
    )
    keras_stop.set_model(keras_model)
    keras_stop.on_train_begin()
    ours_model, state, best = _MarkedModel(), training._State(fingerprint={}), None
    settings = TrainingSettings(max_epochs=len(losses), patience=patience)
    for epoch, loss in enumerate(losses):
        keras_model.epoch = ours_model.epoch = epoch
        keras_stop.on_epoch_end(epoch, {"val_loss": loss})
        best = training._early_stopping(state, {"val_loss": loss}, ours_model, best, settings)
        assert state.finished == (keras_model.stop_training or epoch == len(losses) - 1)
        if state.finished:
            break
    assert (state.stopped_epoch, state.best_epoch_index) == (keras_stop.stopped_epoch, keras_stop.best_epoch)
    assert int(best[0]) == int(keras_stop.best_weights[0])
    if keras_model.stop_training:
        assert keras_model.epoch == int(best[0])


def test_each_finished_epoch_writes_the_partial_history_beside_the_checkpoint(windows, tmp_path):
    """What the pages draw while a regression trains: every finished epoch's values, as it goes."""
    seen = []

    def progress(done, total, message):
        partial = training.read_partial_history(tmp_path)
        seen.append(partial)
        assert partial["epochs"] == done and partial["max_epochs"] == total == SETTINGS.max_epochs
        assert {len(values) for values in partial["history"].values()} == {done}

    result = _train(windows, dense_model, FIXED, tmp_path, progress=progress)
    assert len(seen) == result.epochs_completed >= 3
    assert seen[-1]["history"] == result.history and seen[-1]["finished"] is True
    assert seen[-1]["best_epoch"] == result.best_epoch
    # Each epoch's file extends the one before it: earlier epochs' values never change.
    for before, after in itertools.pairwise(seen):
        assert all(after["history"][key][: len(v)] == v for key, v in before["history"].items())
    training.discard_checkpoint(tmp_path)
    assert training.read_partial_history(tmp_path) is None and not tmp_path.exists()
