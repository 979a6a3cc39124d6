"""Where a worker trains a regression: in its warm training process, or in a fresh one.

With ``TRAINING_WARM_PROCESS`` (the default) each worker process keeps one TensorFlow process
(``regressions/engine/training_server.py``, a :class:`~cluster.jobs.persistent.PersistentChild`)
that trains its regressions one after another: started by the first training, started again
after it died or failed, killed by a cancel, and killed with its worker (its parent-death signal
refers to the worker process). Without it, or off the worker's main thread, every regression
trains in a process of its own (``manage.py train_regression`` through ``run_child``). Both run
the same code and write the same files; a killed training resumes from its checkpoint either way.
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
        return warm_training_server().serve(ctx, {"argv": argv[3:]})
    return run_child(ctx, argv, cwd=str(settings.BASE_DIR))


def warm_training_server() -> PersistentChild:
    """This worker process's training process (not started until it serves a request)."""
    global _server
    argv = [
        sys.executable,
        "-m",
        "regressions.engine.training_server",
        "--threads",
        str(settings.TRAINING_THREADS),
        "--concurrent",
        str(settings.Q_CLUSTER["workers"]),  # what train_argv asks for a local training
    ]
    if _server is None or _server.argv != argv:
        if _server is not None:
            _server.stop()
        _server = PersistentChild(argv, name="training process", cwd=str(settings.BASE_DIR))
    return _server


def warm_training_server_stop() -> None:
    """Kill this worker's training process, if it runs (the next training starts a new one)."""
    if _server is not None:
        _server.stop()
