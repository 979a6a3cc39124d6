"""TensorFlow process set-up and a command-line progress bar for training.

TensorFlow sizes its thread pools once, when its runtime first starts, from the environment
and ``tf.config.threading``. Two training workers on a 2-core machine each starting
``cores``-wide pools would oversubscribe the CPU, so workers call :func:`configure_tensorflow`
first thing, before anything builds a tensor.
"""

from __future__ import annotations

import os
from typing import Any

from tqdm import tqdm


class TensorFlowConfigError(RuntimeError):
    """TensorFlow already runs with other thread pools than the ones requested."""


def configure_tensorflow(threads: int) -> None:
    """Limit TensorFlow (and OpenMP/BLAS under it) to ``threads`` intra-op and inter-op threads."""
    if threads < 1:
        raise ValueError(f"threads must be >= 1, got {threads}")
    for name in (
        "TF_NUM_INTRAOP_THREADS",
        "TF_NUM_INTEROP_THREADS",
        "OMP_NUM_THREADS",
        "OPENBLAS_NUM_THREADS",
        "MKL_NUM_THREADS",
    ):
        os.environ[name] = str(threads)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

    import tensorflow as tf  # why: TensorFlow is heavy; only the processes that train or predict load it

    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    except RuntimeError as exc:
        # The runtime has started: that is fine only if it already has the requested pools.
        current = (
            tf.config.threading.get_intra_op_parallelism_threads(),
            tf.config.threading.get_inter_op_parallelism_threads(),
        )
        if current != (threads, threads):
            raise TensorFlowConfigError(
                f"TensorFlow already started with (intra, inter) threads {current}; "
                f"call configure_tensorflow({threads}) before any TensorFlow work"
            ) from exc


class TqdmProgress:
    """``progress(done, total, message)`` callback drawing a tqdm bar; use as a context manager."""

    def __init__(self, description: str = "", **tqdm_options: Any) -> None:
        self._bar = tqdm(desc=description, unit="epoch", **tqdm_options)

    def __call__(self, done: int, total: int, message: str = "") -> None:
        if self._bar.total != total:
            self._bar.total = total
        self._bar.n = done
        self._bar.set_postfix_str(message, refresh=False)
        self._bar.refresh()

    def close(self) -> None:
        self._bar.close()

    def __enter__(self) -> TqdmProgress:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
