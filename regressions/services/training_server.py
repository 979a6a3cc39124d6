"""Where a worker trains a regression: in its warm training process, or in a fresh one.

With ``TRAINING_WARM_PROCESS`` (the default) each worker process keeps one TensorFlow process
(``regressions/engine/training_server.py``, a :class:`~cluster.jobs.persistent.PersistentChild`)
that trains its regressions one after another: started by the first training, started again
after it died or failed, killed by a cancel, and killed with its worker (its parent-death signal
refers to the worker process). With ``TRAINING_WARM_AT_START`` (the default) the worker starts
it as soon as it starts itself (django-q2's ``post_spawn``: ``regressions/signals.py``), so its
first training does not wait for TensorFlow to load. Without ``TRAINING_WARM_PROCESS``, or off
the worker's main thread, every regression trains in a process of its own (``manage.py
train_regression`` through ``run_child``). Both run the same code and write the same files; a
killed training resumes from its checkpoint either way.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from django.conf import settings

from cluster.jobs import JobContext
from cluster.jobs.persistent import PersistentChild
from cluster.jobs.process import run_child

COMMAND = ("manage.py", "train_regression")
_server: PersistentChild | None = None


def train_here(ctx: JobContext, argv: Sequence[str]) -> dict:
    """Run the ``train_regression`` command line ``argv`` for the job, warm when the settings allow."""
    argv = list(argv)
    if settings.TRAINING_WARM_PROCESS and tuple(argv[1:3]) == COMMAND and PersistentChild.can_start_here():
        pools = {name: argv[argv.index(name) + 1] for name in ("--threads", "--concurrent") if name in argv}
        server = warm_training_server(threads=pools.get("--threads"), concurrent=pools.get("--concurrent"))
        return server.serve(ctx, {"argv": argv[3:]})
    return run_child(ctx, argv, cwd=str(settings.BASE_DIR))


def warm_training_server(*, threads: str | None = None, concurrent: str | None = None) -> PersistentChild:
    """This worker process's training process (not started until it serves a request).

    Its TensorFlow thread pools are fixed when it starts, so a training that asks for other
    ones (``--threads``, ``--concurrent``: it now trains alone, or beside others) restarts it.
    Without them: the process as it is, or one for the local workers' default share.
    """
    global _server
    if _server is not None and threads is None and concurrent is None:
        return _server
    argv = [
        sys.executable,
        "-m",
        "regressions.engine.training_server",
        "--threads",
        threads or str(settings.TRAINING_THREADS),
        "--concurrent",
        concurrent or str(settings.Q_CLUSTER["workers"]),
    ]
    if _server is None:
        _server = PersistentChild(argv, name="training process", cwd=str(settings.BASE_DIR))
    elif _server.argv != argv:
        _server.stop()  # the next request starts it with the new pools
        _server.argv = argv
    return _server


def warm_training_server_start_with_worker() -> PersistentChild | None:
    """Start this worker process's training process now (it loads TensorFlow while the worker
    waits for work), with the thread pools of a training beside the other workers' (a batch's
    share: :func:`~regressions.services.training.trainings_sharing` with jobs waiting); a training
    that asks for other pools restarts it. None when the settings or the thread do not allow it."""
    if not (settings.TRAINING_WARM_PROCESS and settings.TRAINING_WARM_AT_START) or not PersistentChild.can_start_here():
        return None
    server = warm_training_server(threads=str(settings.TRAINING_THREADS), concurrent=str(settings.Q_CLUSTER["workers"]))
    if not server.alive():
        server.start()
    return server


def warm_training_server_stop() -> None:
    """Kill this worker's training process, if it runs (the next training starts a new one)."""
    if _server is not None:
        _server.stop()
