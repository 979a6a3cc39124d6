"""Train one regression, checkpointing after every epoch so a killed run resumes exactly.

Semantics follow the original (``model.fit(validation_split, shuffle=True)`` with Keras
``EarlyStopping(monitor="val_loss", mode="min", patience, restore_best_weights=True)``), with
the epoch loop written out so that everything an epoch depends on is saved:

* validation = the last ``validation_split`` share of the training windows, cut like Keras
  (``int(n * (1 - validation_split))``), never shuffled;
* the fitting windows are shuffled each epoch by a permutation drawn from ``(seed, epoch)``,
  so a resumed run feeds the same batches in the same order;
* after each epoch ``checkpoint.npz`` (see :func:`_write_checkpoint`) stores the weights, the
  optimizer variables (``iterations`` drives the learning-rate schedule), the early-stopping
  state with the best weights, the full history and the epoch count.

Killed and resumed, a run therefore ends with the same weights and history as an uninterrupted
one (TensorFlow op determinism is on by default; the templates have no dropout or other random
layers).

The mini-batches come from :class:`~regressions.engine.window_feed.WindowFeed`. ``max_batches`` (benchmarks only) bounds each epoch to that many fitting mini-batches,
validated on as many validation mini-batches as the epoch's own proportion gives.
Unlike Keras 2, which keeps the last weights when ``max_epochs`` ends training without an early
stop, the best weights are always restored at the end (Keras 3 does the same).
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from core.files import atomic_path
from epochs.engine.epoch_params import PARAM
from regressions.engine.runtime import set_op_determinism
from regressions.engine.window_feed import WindowFeed
from regressions.engine.windows import RegressionWindows

__all__ = ["WindowFeed"]  # where callers of this module found it

CHECKPOINT_FILE = "checkpoint.npz"
# Beside the checkpoint: the finished epochs' history, for the pages to draw while it trains.
HISTORY_FILE = "history.json"
# The training job's state key for the live curve its process reports after each epoch.
LIVE_HISTORY = "live_history"
CHECKPOINT_FORMAT = 1
LOSSES = ("mean_absolute_error", "mean_squared_error")
# learning_rate == -1: InverseTimeDecay over optimizer iterations (mini-batches).
SCHEDULE = {"initial_learning_rate": 0.005, "decay_steps": 10, "decay_rate": 0.15, "staircase": False}
STOP_CHECK_SECONDS = 1.0

Progress = Callable[[int, int, str], None]


class TrainingCancelled(Exception):
    """``should_stop()`` asked to stop; the last finished epoch is checkpointed."""


class CheckpointError(ValueError):
    """A checkpoint cannot be resumed: unreadable, or written for other settings or another model."""


@dataclass(frozen=True)
class Hyperparameters:
    """The compile settings of one regression config."""

    learning_rate: float
    loss: str
    metric: str
    optimizer: str = "adam"

    def __post_init__(self) -> None:
        if self.optimizer != "adam":
            raise ValueError(f"optimizer must be 'adam', got {self.optimizer!r}")
        for name in ("loss", "metric"):
            if getattr(self, name) not in LOSSES:
                raise ValueError(f"{name} must be one of {LOSSES}, got {getattr(self, name)!r}")
        if self.learning_rate != -1 and not self.learning_rate > 0:
            raise ValueError(f"learning_rate must be -1 (schedule) or > 0, got {self.learning_rate}")


@dataclass(frozen=True)
class TrainingSettings:
    """The epoch's training settings (their declared defaults)."""

    max_epochs: int = PARAM["max_epochs"].default
    patience: int = PARAM["patience"].default
    batch_size: int = PARAM["batch_size"].default
    validation_split: float = PARAM["validation_split"].default

    @classmethod
    def of_epoch(cls, config: dict, settings: dict) -> TrainingSettings:
        """From an epoch folder's ``epoch.json`` and ``epoch_settings.json`` (older ones may lack a setting)."""
        return cls(
            max_epochs=int(settings.get("max_epochs", cls.max_epochs)),
            patience=int(settings.get("patience", cls.patience)),
            batch_size=int(settings.get("batch_size", cls.batch_size)),
            validation_split=float(config["validation_split"]),
        )

    def __post_init__(self) -> None:
        if self.max_epochs < 1 or self.patience < 0 or self.batch_size < 1:
            raise ValueError(f"max_epochs and batch_size must be >= 1 and patience >= 0, got {self}")
        if not 0.0 < self.validation_split < 1.0:
            raise ValueError(f"validation_split must be in (0, 1), got {self.validation_split}")


@dataclass
class TrainingResult:
    model: Any
    history: dict[str, list[float]]
    best_epoch_index: int  # 0-based index into history, as Keras counts
    stopped_epoch: int  # 0-based epoch where early stopping fired; 0 when it never did (Keras)
    epochs_completed: int
    training_seconds: float  # summed over every run of this training, resumes included
    epoch_seconds: list[float]  # each epoch's seconds, its checkpoint included (resumes included)
    test_predictions: np.ndarray
    test_evaluation: dict[str, float]
    resumed_at_epoch: int  # epochs already done when this call started (0: fresh start)

    @property
    def best_epoch(self) -> int:
        """The best epoch as people count (and certificates store) it: the first epoch is 1."""
        return self.best_epoch_index + 1


@dataclass
class _State:
    """What an epoch leaves behind besides the weights; saved as the checkpoint's JSON."""

    fingerprint: dict[str, Any]
    epoch: int = 0
    wait: int = 0
    best: float = math.inf
    best_epoch_index: int = 0
    stopped_epoch: int = 0
    finished: bool = False
    training_seconds: float = 0.0
    epoch_seconds: list[float] = field(default_factory=list)  # each epoch's, its checkpoint included
    history: dict[str, list[float]] = field(default_factory=dict)


def train_regression(
    build_model: Callable[[], Any],
    windows: RegressionWindows,
    *,
    hyperparameters: Hyperparameters,
    settings: TrainingSettings,
    seed: int,
    checkpoint_dir: str | Path | None = None,
    progress: Progress | None = None,
    on_history: Callable[[dict], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    determinism: bool = True,
    max_batches: int | None = None,
) -> TrainingResult:
    """Train, evaluate on the test windows and return the model with its best weights.

    ``build_model`` returns an uncompiled Keras model; it is called after seeding, so initial
    weights depend on ``seed`` only. With ``checkpoint_dir`` every epoch is checkpointed and an
    existing checkpoint is resumed. ``should_stop`` is polled during epochs (at most once a
    second) and after each one; it raises :class:`TrainingCancelled`, dropping an unfinished epoch.
    ``on_history`` receives each finished epoch's :func:`partial_history` (the file beside the
    checkpoint holds the same). ``determinism`` False switches TensorFlow's op determinism off (faster on a GPU, not
    reproducible); ``max_batches`` bounds the fitting mini-batches of each epoch (benchmarks).
    """
    import tensorflow as tf  # why: TensorFlow is heavy; only the processes that train or predict load it

    if max_batches is not None and max_batches < 1:
        raise ValueError(f"max_batches must be >= 1, got {max_batches}")
    tf.keras.backend.clear_session()
    tf.keras.utils.set_random_seed(seed)
    set_op_determinism(tf, determinism)
    model = build_model()
    model.compile(
        optimizer=tf.keras.optimizers.Adam(learning_rate=_learning_rate(tf, hyperparameters.learning_rate)),
        loss=hyperparameters.loss,
        metrics=[hyperparameters.metric],
    )
    feed = WindowFeed(tf, windows, validation_split=settings.validation_split, batch_size=settings.batch_size)
    fingerprint = _fingerprint(model, windows, hyperparameters, settings, seed)
    if max_batches is not None:
        fingerprint["max_batches"] = max_batches
    checkpoint = Path(checkpoint_dir) / CHECKPOINT_FILE if checkpoint_dir is not None else None
    if checkpoint is not None and checkpoint.exists():
        state, best_weights = _read_checkpoint(checkpoint, model, fingerprint)
    else:
        state, best_weights = _State(fingerprint=fingerprint), None
    resumed_at = state.epoch
    stop = _StopPoller(should_stop)

    if not state.finished:
        steps = feed.fit_steps if max_batches is None else min(feed.fit_steps, max_batches)
        validation_steps = None if max_batches is None else feed.validation_steps_for(steps)
        epoch_end = _EpochEnd(state, settings, stop, model, best_weights, checkpoint, progress, on_history)
        # One fit call for every epoch left, each epoch's batches in the order drawn from
        # (seed, epoch); the callback does what each epoch's end needs, and stops the fit.
        model.fit(
            feed.epoch_batches(seed, state.epoch, settings.max_epochs, steps),
            epochs=settings.max_epochs,
            initial_epoch=state.epoch,
            steps_per_epoch=steps,
            validation_data=feed.validation_batches(validation_steps),
            validation_steps=validation_steps,
            verbose=0,
            callbacks=[*stop.keras_callbacks(tf), epoch_end.keras_callback(tf)],
        )
        if stop.requested:
            raise TrainingCancelled(f"cancelled during epoch {state.epoch + 1}; resumes from epoch {state.epoch}")
        best_weights = epoch_end.best_weights

    model.set_weights(best_weights)
    predictions = model.predict(feed.test_batches(), verbose=0)
    return TrainingResult(
        model=model,
        history=state.history,
        best_epoch_index=state.best_epoch_index,
        stopped_epoch=state.stopped_epoch,
        epochs_completed=state.epoch,
        training_seconds=state.training_seconds,
        epoch_seconds=list(state.epoch_seconds),
        test_predictions=predictions,
        test_evaluation=evaluate(predictions, windows.test_y),
        resumed_at_epoch=resumed_at,
    )


class _EpochEnd:
    """What the end of an epoch does: early stopping, its seconds, the checkpoint, progress, a stop."""

    def __init__(
        self,
        state: _State,
        settings: TrainingSettings,
        stop: _StopPoller,
        model: Any,
        best_weights: list[np.ndarray] | None,
        checkpoint: Path | None,
        progress: Progress | None,
        on_history: Callable[[dict], None] | None = None,
    ) -> None:
        self.state, self.settings, self.stop = state, settings, stop
        self.model, self.best_weights, self.checkpoint, self.progress = model, best_weights, checkpoint, progress
        self.on_history = on_history
        self.started = time.monotonic()

    def begin(self) -> None:
        self.started = time.monotonic()

    def end(self, logs: dict) -> bool:
        """Record the epoch; True when training is finished."""
        state = self.state
        if self.stop.requested:  # cancelled during the epoch: it is dropped
            return True
        values = {key: float(value) for key, value in logs.items()}
        self.best_weights = _early_stopping(state, values, self.model, self.best_weights, self.settings)
        fitted_seconds = time.monotonic() - self.started
        state.epoch_seconds.append(fitted_seconds)
        state.training_seconds += fitted_seconds
        if self.checkpoint is not None:
            _write_checkpoint(self.checkpoint, state, self.model, self.best_weights)
            # The checkpoint's own writing counts too (a resume misses only that of its last epoch).
            written = time.monotonic() - self.started - fitted_seconds
            state.epoch_seconds[-1] += written
            state.training_seconds += written
        partial = partial_history(
            state.history,
            max_epochs=self.settings.max_epochs,
            best_epoch=state.best_epoch_index + 1,
            finished=state.finished,
        )
        if self.checkpoint is not None:
            write_partial_history(self.checkpoint.parent, partial)
        if self.on_history is not None:
            self.on_history(partial)
        if self.progress is not None:
            self.progress(state.epoch, self.settings.max_epochs, _summary(state))
        if not state.finished and self.stop.poll(force=True):
            raise TrainingCancelled(f"cancelled after epoch {state.epoch}")
        return state.finished

    def keras_callback(self, tf: Any) -> Any:
        owner = self

        class EpochEnd(tf.keras.callbacks.Callback):
            def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
                owner.begin()

            def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
                if owner.end(logs or {}):
                    self.model.stop_training = True

        return EpochEnd()


def evaluate(predictions: np.ndarray, targets: np.ndarray) -> dict[str, float]:
    """Mean absolute and mean squared error over every forecast step (float64)."""
    error = np.asarray(predictions, dtype=np.float64) - np.asarray(targets, dtype=np.float64)
    return {"mean_absolute_error": float(np.mean(np.abs(error))), "mean_squared_error": float(np.mean(error**2))}


def partial_history(
    history: dict[str, list[float]], *, max_epochs: int, best_epoch: int, finished: bool = False
) -> dict:
    """The history of the epochs finished so far, as the pages draw it while a training runs.

    ``best_epoch`` counts from 1. JSON has no NaN: a diverged epoch's value is null.
    """
    values = {key: [v if math.isfinite(v) else None for v in series] for key, series in history.items()}
    return {
        "epochs": len(values.get("loss", [])),
        "max_epochs": max_epochs,
        "best_epoch": best_epoch,
        "finished": finished,
        "history": values,
    }


def write_partial_history(checkpoint_dir: Path, partial: dict) -> None:
    """A :func:`partial_history` beside the checkpoint, written atomically (a reader never sees half a file)."""
    with atomic_path(Path(checkpoint_dir) / HISTORY_FILE) as tmp:
        tmp.write_text(json.dumps(partial, allow_nan=False), encoding="utf-8")


def read_partial_history(checkpoint_dir: str | Path) -> dict | None:
    """What :func:`write_partial_history` wrote last; None when no epoch has finished (or it is gone)."""
    try:
        return json.loads((Path(checkpoint_dir) / HISTORY_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def discard_checkpoint(checkpoint_dir: str | Path) -> None:
    """Remove the checkpoint and the partial history (and their folder, when empty) once the model
    and certificate are stored."""
    folder = Path(checkpoint_dir)
    (folder / CHECKPOINT_FILE).unlink(missing_ok=True)
    (folder / HISTORY_FILE).unlink(missing_ok=True)
    try:
        folder.rmdir()
    except OSError:  # absent, or holds something else: leave it
        pass


def _learning_rate(tf: Any, learning_rate: float) -> Any:
    if learning_rate == -1:
        return tf.keras.optimizers.schedules.InverseTimeDecay(**SCHEDULE)
    return learning_rate


def _early_stopping(
    state: _State, logs: dict[str, float], model: Any, best_weights: list[np.ndarray] | None, settings: TrainingSettings
) -> list[np.ndarray]:
    """Keras 2.15 ``EarlyStopping.on_epoch_end`` (min_delta 0, no baseline) on ``state``."""
    epoch = state.epoch
    for key, value in logs.items():
        state.history.setdefault(key, []).append(value)
    current = logs["val_loss"]
    if best_weights is None:
        best_weights = model.get_weights()
    state.wait += 1
    if current < state.best:  # a NaN loss never improves, as in Keras
        state.best, state.best_epoch_index, state.wait = current, epoch, 0
        best_weights = model.get_weights()
    elif state.wait >= settings.patience and epoch > 0:
        state.stopped_epoch, state.finished = epoch, True
    state.epoch = epoch + 1
    state.finished = state.finished or state.epoch >= settings.max_epochs
    return best_weights


def _summary(state: _State) -> str:
    last = {key: values[-1] for key, values in state.history.items()}
    metrics = ", ".join(f"{key} {value:.6g}" for key, value in last.items())
    return f"epoch {state.epoch}: {metrics}; best epoch {state.best_epoch_index + 1}"


def _fingerprint(
    model: Any, windows: RegressionWindows, hyperparameters: Hyperparameters, settings: TrainingSettings, seed: int
) -> dict[str, Any]:
    """What a checkpoint must have been written for to be resumable here."""
    digest = hashlib.sha256()
    # Window 0's first input plus every window's first input and the last window whole cover
    # each series row the training and test windows read.
    for part in (
        windows.train_x[:, 0],
        windows.train_x[-1],
        windows.train_y[-1],
        windows.test_x[:, 0],
        windows.test_x[-1],
        windows.test_y[-1],
    ):
        digest.update(np.ascontiguousarray(part, dtype=np.float64).tobytes())
    return {
        "format": CHECKPOINT_FORMAT,
        "seed": seed,
        "hyperparameters": asdict(hyperparameters),
        "settings": asdict(settings),
        "windows": [windows.train_size, windows.test_size, windows.lookback, windows.predictions],
        "data_sha256": digest.hexdigest(),
        "weight_shapes": [list(w.shape) for w in model.weights],
    }


def _write_checkpoint(path: Path, state: _State, model: Any, best_weights: list[np.ndarray]) -> None:
    """One ``.npz`` written atomically: ``state`` (UTF-8 JSON of :class:`_State` as uint8),
    ``weights_NNN``, ``best_weights_NNN`` (``model.get_weights()`` order) and ``optimizer_NNN``
    (``optimizer.variables`` order: iterations, then m/v per trainable variable)."""
    arrays = {"state": np.frombuffer(json.dumps(asdict(state)).encode("utf-8"), dtype=np.uint8)}
    for prefix, values in (
        ("weights", model.get_weights()),
        ("best_weights", best_weights),
        ("optimizer", [v.numpy() for v in model.optimizer.variables]),
    ):
        arrays.update({f"{prefix}_{i:04d}": value for i, value in enumerate(values)})
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        np.savez(handle, **arrays)


def _read_checkpoint(path: Path, model: Any, fingerprint: dict[str, Any]) -> tuple[_State, list[np.ndarray]]:
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files}
        values = json.loads(arrays.pop("state").tobytes().decode("utf-8"))
        if "best_epoch" in values:  # checkpoints written before the index had its own name
            values["best_epoch_index"] = values.pop("best_epoch")
        state = _State(**values)
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise CheckpointError(f"{path}: unreadable checkpoint ({exc})") from exc
    for key in fingerprint:
        if state.fingerprint.get(key) != fingerprint[key]:
            raise CheckpointError(
                f"{path}: written for another {key} ({state.fingerprint.get(key)!r} != {fingerprint[key]!r}); "
                "discard it to train from scratch"
            )
    listed = {
        prefix: [arrays[k] for k in sorted(arrays) if k.rsplit("_", 1)[0] == prefix]
        for prefix in ("weights", "best_weights", "optimizer")
    }
    model.set_weights(listed["weights"])
    optimizer = model.optimizer
    optimizer.build(model.trainable_variables)
    variables = optimizer.variables
    saved = listed["optimizer"]
    if [tuple(v.shape) for v in variables] != [s.shape for s in saved]:
        raise CheckpointError(f"{path}: optimizer state does not match the model's optimizer variables")
    for variable, value in zip(variables, saved, strict=False):
        variable.assign(value)
    return state, listed["best_weights"]


class _StopPoller:
    """Polls ``should_stop`` at most once per second during an epoch, and after each epoch."""

    def __init__(self, should_stop: Callable[[], bool] | None) -> None:
        self._should_stop = should_stop
        self._last = time.monotonic()
        self.requested = False

    def poll(self, force: bool = False) -> bool:
        if self._should_stop is None or self.requested:
            return self.requested
        now = time.monotonic()
        if force or now - self._last >= STOP_CHECK_SECONDS:
            self._last = now
            self.requested = bool(self._should_stop())
        return self.requested

    def keras_callbacks(self, tf: Any) -> list[Any]:
        """The callback polling during epochs, or none without ``should_stop`` (a batch-level
        callback makes Keras call into Python after every mini-batch, for nothing)."""
        if self._should_stop is None:
            return []
        poller = self

        class StopOnRequest(tf.keras.callbacks.Callback):
            def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
                if poller.poll():
                    self.model.stop_training = True

        return [StopOnRequest()]
