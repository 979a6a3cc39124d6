"""TensorFlow process set-up and a command-line progress bar for training.

TensorFlow sizes its thread pools once, when its runtime first starts, from the environment
and ``tf.config.threading``. Two training workers on a 2-core machine each starting
``cores``-wide pools would oversubscribe the CPU, so workers call :func:`configure_tensorflow`
first thing, before anything builds a tensor.

How many threads: :func:`thread_settings` gives each training its share of the host's cores,
``cores // concurrent``, where ``concurrent`` is how many trainings the host runs at once (the
django-q2 workers of a local worker host, a cluster server's ``max_jobs``); one regression
training alone uses every core, several never oversubscribe. ``TRAINING_THREADS`` overrides it.

On a GPU every TensorFlow process grows its memory as it needs it (several trainings share one
GPU, up to the host's job capacity). Op determinism is on by default (a killed run resumes
exactly, a rerun gives the same weights); switching it off trades that for speed.
:func:`runtime_record` is what a certificate records of all this under its ``runtime`` key.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from tqdm import tqdm


class TensorFlowConfigError(RuntimeError):
    """TensorFlow already runs with other thread pools than the ones requested."""


@dataclass(frozen=True)
class ThreadSettings:
    """TensorFlow's thread pools for one training process."""

    intra_op: int
    inter_op: int

    def as_dict(self) -> dict[str, int]:
        return {"intra_op": self.intra_op, "inter_op": self.inter_op}


def host_cores() -> int:
    """The cores this process may run on (its CPU affinity, else the machine's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not Linux
        return max(1, os.cpu_count() or 1)


def thread_settings(*, cores: int, concurrent: int, override: int | None = None) -> ThreadSettings:
    """The thread pools of one of ``concurrent`` trainings sharing ``cores`` cores.

    Intra-op threads (the ones a layer's maths runs on) get the training's share of the cores,
    at least one; inter-op threads (independent ops side by side, few in a sequential model)
    at most two, and never more than the share. ``override`` (a positive number: the
    ``TRAINING_THREADS`` setting) sets both, as before.
    """
    if cores < 1 or concurrent < 1:
        raise ValueError(f"cores and concurrent must be >= 1, got {cores} and {concurrent}")
    if override is not None:
        if override < 1:
            raise ValueError(f"threads must be >= 1, got {override}")
        return ThreadSettings(override, override)
    share = max(1, cores // concurrent)
    return ThreadSettings(intra_op=share, inter_op=min(2, share))


def worker_processes() -> int:
    """The trainings this host runs at once by default: its django-q2 workers (``WORKER_PROCESSES``)."""
    try:
        return max(1, int(os.environ.get("WORKER_PROCESSES", "2")))
    except ValueError:
        return 2


def configure_tensorflow(
    threads: int | ThreadSettings, *, concurrent: int | None = None, memory_growth: bool = True
) -> ThreadSettings:
    """Limit TensorFlow (and OpenMP/BLAS under it) to the given intra-op and inter-op threads,
    and let each GPU's memory grow as needed (so several trainings can share one GPU).

    ``threads`` 0 is automatic: this process's share of the host's cores among ``concurrent``
    processes (default :func:`worker_processes`), see :func:`thread_settings`.
    """
    if isinstance(threads, ThreadSettings):
        pools = threads
    elif threads == 0:
        pools = thread_settings(cores=host_cores(), concurrent=concurrent or worker_processes())
    else:
        pools = ThreadSettings(threads, threads)
    if pools.intra_op < 1 or pools.inter_op < 1:
        raise ValueError(f"threads must be >= 1, got {pools}")
    os.environ["TF_NUM_INTRAOP_THREADS"] = str(pools.intra_op)
    os.environ["TF_NUM_INTEROP_THREADS"] = str(pools.inter_op)
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = str(pools.intra_op)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

    import tensorflow as tf  # why: TensorFlow is heavy; only the processes that train or predict load it

    if memory_growth:
        for gpu in tf.config.list_physical_devices("GPU"):
            try:
                tf.config.experimental.set_memory_growth(gpu, True)
            except RuntimeError:  # the GPU is initialised already: it keeps what it has
                pass
    try:
        tf.config.threading.set_intra_op_parallelism_threads(pools.intra_op)
        tf.config.threading.set_inter_op_parallelism_threads(pools.inter_op)
    except RuntimeError as exc:
        # The runtime has started: that is fine only if it already has the requested pools.
        current = (
            tf.config.threading.get_intra_op_parallelism_threads(),
            tf.config.threading.get_inter_op_parallelism_threads(),
        )
        if current != (pools.intra_op, pools.inter_op):
            raise TensorFlowConfigError(
                f"TensorFlow already started with (intra, inter) threads {current}; "
                f"call configure_tensorflow({pools}) before any TensorFlow work"
            ) from exc
    return pools


def set_op_determinism(tf: Any, enabled: bool) -> None:
    """Turn TensorFlow's op determinism on (the default of every training) or off (faster)."""
    if enabled:
        tf.config.experimental.enable_op_determinism()
        return
    from tensorflow.python.framework import config as tf_config  # why: TF 2.15 has no public switch-off

    tf_config.disable_op_determinism()


def op_determinism_enabled(tf: Any) -> bool:
    from tensorflow.python.framework import config as tf_config  # why: TF 2.15 has no public getter

    return bool(tf_config.is_op_determinism_enabled())


def device_name(tf: Any) -> str:
    """``CPU``, or the GPUs TensorFlow trains on (``GPU: NVIDIA H100 80GB HBM3``; several joined by ``; ``)."""
    gpus = tf.config.list_physical_devices("GPU")
    if not gpus:
        return "CPU"
    names = []
    for gpu in gpus:
        try:
            names.append(str(tf.config.experimental.get_device_details(gpu).get("device_name") or gpu.name))
        except (RuntimeError, ValueError):
            names.append(gpu.name)
    return "GPU: " + "; ".join(names)


def runtime_record(tf: Any) -> dict[str, Any]:
    """Where and how this process trains: the certificate's ``runtime`` key (its check: ``certificate_checks``)."""
    build = dict(tf.sysconfig.get_build_info())
    return {
        "device": device_name(tf),
        "tensorflow": str(tf.__version__),
        "cuda_version": None if build.get("cuda_version") is None else str(build["cuda_version"]),
        "cudnn_version": None if build.get("cudnn_version") is None else str(build["cudnn_version"]),
        "op_determinism": op_determinism_enabled(tf),
        "threads": {  # 0: TensorFlow's default (no pool size was set)
            "intra_op": int(tf.config.threading.get_intra_op_parallelism_threads()),
            "inter_op": int(tf.config.threading.get_inter_op_parallelism_threads()),
        },
    }


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
