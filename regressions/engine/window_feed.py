"""Mini-batches of a regression's windows for ``model.fit``: a ``tf.data`` pipeline that
gathers each batch from float32 tensors of the windows made once per training.

Batch ``b`` of an epoch is exactly ``fit_x[order][b * batch_size : (b + 1) * batch_size]``,
``order`` the permutation drawn from ``(seed, epoch)``, so a resumed run feeds the same batches.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from regressions.engine.windows import RegressionWindows, window_rows


class WindowFeed:
    """Mini-batches of windows, gathered by their first rows from float32 tensors made once.

    The inputs and targets of every window are put in two float32 tensors once per training
    (the values the old window copies held; one copy, as Keras' own array feed makes), and an
    epoch's batch is a gather of its windows' rows, so no epoch copies the window array or its
    shuffled order. Validation is the last ``validation_split`` share of the training windows,
    cut like Keras (``floor(n * (1 - validation_split))``), never shuffled.
    """

    def __init__(self, tf: Any, windows: RegressionWindows, *, validation_split: float, batch_size: int) -> None:
        if windows.series is None:
            raise ValueError("the windows do not carry their series: build them with build_windows")
        self._tf = tf
        self.batch_size = batch_size
        train_first, train_stop = windows.train_range
        count = train_stop - train_first
        cut = math.floor(count * (1.0 - validation_split))
        if cut < 1 or cut == count:
            raise ValueError(f"validation_split {validation_split} of {count} training windows leaves an empty part")
        self.fit_rows = window_rows(train_first, train_first + cut)
        self.validation_rows = window_rows(train_first + cut, train_stop)
        self.test_rows = window_rows(*windows.test_range)
        series = np.asarray(windows.series, dtype=np.float32)
        count = windows.test_range[1]  # every window, training and test: window j starts at row j
        views = sliding_window_view(series, windows.lookback + windows.predictions)[:count]
        self._x = tf.constant(views[:, : windows.lookback])
        self._y = tf.constant(views[:, windows.lookback :])

    @property
    def fit_count(self) -> int:
        return len(self.fit_rows)

    @property
    def fit_steps(self) -> int:
        return math.ceil(self.fit_count / self.batch_size)

    def validation_steps_for(self, fit_steps: int) -> int:
        """Validation mini-batches in the epoch's proportion to ``fit_steps`` fitting ones (at least one)."""
        whole = math.ceil(len(self.validation_rows) / self.batch_size)
        return max(1, min(whole, math.ceil(fit_steps * len(self.validation_rows) / self.fit_count)))

    def fit_batches(self, order: np.ndarray, steps: int | None = None) -> Any:
        """The epoch's fitting batches in ``order`` (a permutation of the fitting windows)."""
        return self._batches(self.fit_rows[order], steps)

    def epoch_batches(self, seed: int, first_epoch: int, stop_epoch: int, steps: int) -> Any:
        """Epochs ``[first_epoch, stop_epoch)`` one after the other, ``steps`` batches each, each
        epoch's windows in the permutation drawn from ``(seed, epoch)`` (as :meth:`fit_batches`)."""
        tf, rows = self._tf, self.fit_rows

        def order(epoch: Any) -> np.ndarray:
            return rows[np.random.default_rng([seed, int(epoch)]).permutation(len(rows))]

        def one_epoch(epoch: Any) -> Any:
            shuffled = tf.ensure_shape(tf.numpy_function(order, [epoch], tf.int64), [len(rows)])
            return self._index_batches(shuffled, len(rows)).take(steps)

        return self._gathered(tf.data.Dataset.range(first_epoch, stop_epoch).flat_map(one_epoch))

    def validation_batches(self, steps: int | None = None) -> Any:
        return self._batches(self.validation_rows, steps)

    def test_batches(self) -> Any:
        return self._batches(self.test_rows, None, targets=False)

    def _batches(self, rows: np.ndarray, steps: int | None, *, targets: bool = True) -> Any:
        data = self._index_batches(self._tf.constant(rows), len(rows))
        return self._gathered(data if steps is None else data.take(steps), targets=targets)

    def _index_batches(self, rows: Any, count: int) -> Any:
        """``rows`` (a 1-D tensor of ``count`` window rows) in batches of ``batch_size``, the last
        one shorter: what ``Dataset.from_tensor_slices(rows).batch(batch_size)`` gives, but one
        dataset element per batch instead of per window (per window it cost a small DNN's epoch
        of 160 mini-batches about 0.08 s)."""
        tf, size = self._tf, self.batch_size
        whole = count // size * size
        data = tf.data.Dataset.from_tensor_slices(tf.reshape(rows[:whole], [-1, size]))
        if whole < count:
            data = data.concatenate(tf.data.Dataset.from_tensors(rows[whole:]))
        return data

    def _gathered(self, data: Any, *, targets: bool = True) -> Any:
        tf, x, y = self._tf, self._x, self._y

        def gather(first: Any) -> Any:
            return (tf.gather(x, first), tf.gather(y, first)) if targets else tf.gather(x, first)

        # As Keras' own array feed: batches gathered ahead of the step, in order.
        return data.map(gather, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True).prefetch(tf.data.AUTOTUNE)
