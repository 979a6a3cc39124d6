"""Train regressions in a TensorFlow process: one, or one after another in a warm process.

Both ways run :func:`train_request`, so a warm process trains exactly as a fresh one does:

* ``manage.py train_regression --epoch-dir ... --config ... --id ...`` trains one regression and
  exits (a cold process; cluster servers run it too);
* ``python -m regressions.engine.training_server --threads N`` imports TensorFlow once, then
  reads one request per line on stdin, each holding the options of ``train_regression``, and
  trains them one after another (``core.child_events.serve_requests``; a worker's service keeps
  one per worker process: ``regressions/services/training_server.py``).

Each request starts from a cleared Keras session (:func:`regressions.engine.training.train_regression`
clears it and seeds Python, NumPy and TensorFlow from the epoch's seed), so layer names, initial
weights and the files written equal a fresh process's. After a request the session is cleared
again, so an idle process holds no model. Neither clearing forces a garbage collection: a full
collection after each model cost about half a second, and the objects loaded once (TensorFlow,
Keras) are frozen out of the collector's scans instead. A failed request ends the warm
process (the next request starts a fresh one). Reports are the JSON lines of
``core.child_events.emit``: progress, log, state, result, error.
"""

from __future__ import annotations

import argparse
import gc
import os
import shutil
import sys
import traceback

from core.child_events import emit, serve_requests
from regressions.engine.pipeline import load_config, regression_dir, train_config
from regressions.engine.runtime import ThreadSettings, configure_tensorflow
from regressions.engine.training import LIVE_HISTORY

LIVE_KEYS = ("loss", "val_loss")


def live_curve(partial: dict) -> dict:
    """The partial history cut to what the live curve draws (loss and val_loss, 6 significant
    digits), small enough to travel with each epoch's report to the job."""
    history = {
        key: [None if v is None else float(f"{v:.6g}") for v in partial["history"].get(key, [])] for key in LIVE_KEYS
    }
    return {**partial, "history": history}


class TrainingRequestError(Exception):
    """A request that cannot be trained: an unreadable config, a folder that cannot be written."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of one training (``train_regression`` and each request of a warm process)."""
    parser.add_argument("--epoch-dir", required=True)
    parser.add_argument("--config", required=True, help="A config JSON file, or a batch file with --id.")
    parser.add_argument("--id", help="The regression id inside a batch file.")
    parser.add_argument(
        "--threads",
        type=int,
        default=int(os.environ.get("TRAINING_THREADS") or 0),
        help="TensorFlow threads; 0 (default): this training's share of the cores (see --concurrent).",
    )
    parser.add_argument(
        "--concurrent",
        type=int,
        default=1,
        help="Jobs sharing this host's cores with this training (a worker says how many); default 1: alone.",
    )
    parser.add_argument(
        "--no-determinism",
        action="store_true",
        help="Switch TensorFlow's op determinism off (faster, results not reproducible).",
    )
    parser.add_argument("--max-batches", type=int, help="Stop after this many fitting mini-batches (benchmarks only).")
    parser.add_argument("--out-dir", help="Write the files here instead of the regression's folder (a retraining).")
    parser.add_argument(
        "--discard-trained",
        action="store_true",
        help="Remove a trained copy found in the epoch folder and train again (on a cluster "
        "server: a copy the central machine does not hold is never taken as trained).",
    )


def train_request(
    *,
    pools: ThreadSettings,
    epoch_dir: str,
    config: str,
    id: str | None = None,
    out_dir: str | None = None,
    discard_trained: bool = False,
    no_determinism: bool = False,
    max_batches: int | None = None,
    **_pools_asked: object,  # --threads and --concurrent: ``pools`` is what they gave this process
) -> dict:
    """Train one regression config of an epoch folder, reporting with ``emit``; returns the result event.

    ``pools``: the thread pools :func:`configure_tensorflow` gave this process."""
    try:
        regression_config = load_config(config, id)
    except (KeyError, OSError, ValueError) as exc:
        raise TrainingRequestError(str(exc)) from None
    if discard_trained and regression_dir(epoch_dir, regression_config["id"]).exists():
        shutil.rmtree(regression_dir(epoch_dir, regression_config["id"]))
        emit(log=f"discarded an earlier copy of {regression_config['id']} in {epoch_dir}")
    emit(
        log=f"training {regression_config['id']} with {pools.intra_op} intra-op and {pools.inter_op} inter-op "
        f"thread(s) on {tensorflow_device()}, op determinism {'off' if no_determinism else 'on'}"
    )

    def live(partial: dict) -> None:
        # The job keeps the live curve too: a server's trainings write their history file there.
        emit(state={LIVE_HISTORY: live_curve(partial)})

    try:
        certificate = train_config(
            regression_config,
            epoch_dir,
            progress=lambda done, total, message: emit(progress=[done, total, message]),
            on_history=live,
            out_dir=out_dir,
            determinism=not no_determinism,
            max_batches=max_batches,
        )
    except OSError as exc:
        # A full disk or a read-only folder: say so (the job fails with it) instead of a bare exit status.
        emit(
            error=f"{regression_config['id']}: its files could not be written: {exc.strerror or exc} "
            f"({exc.filename or epoch_dir})"
        )
        raise TrainingRequestError(str(exc)) from None
    emit(state={"trained": True})
    result = {"id": certificate["id"], "best_epoch": certificate["best_epoch"]}
    emit(result=result)
    return result


def tensorflow_device() -> str:
    """Where TensorFlow places the training: the GPUs it sees, else the CPU."""
    import tensorflow as tf  # why: TensorFlow is heavy; only the processes that train or predict load it

    gpus = [device.name for device in tf.config.list_physical_devices("GPU")]
    return f"GPU ({', '.join(gpus)})" if gpus else "CPU (TensorFlow sees no GPU)"


def clear_keras_session() -> None:
    """Forget the previous regression: Keras' graph, layer-name counters and models (its memory
    goes back with the collector's next pass)."""
    import tensorflow as tf  # why: TensorFlow is heavy; only the processes that train or predict load it

    tf.keras.backend.clear_session()


class WarmTrainer:
    """The requests of a warm process: the options of ``train_regression``, one regression each."""

    def __init__(self, pools: ThreadSettings, *, threads: int, concurrent: int | None) -> None:
        self.pools = pools
        self.asked = (threads, concurrent)
        self.parser = argparse.ArgumentParser(prog="train_regression", exit_on_error=False)
        add_arguments(self.parser)

    def __call__(self, body: dict) -> int:
        try:
            options = self.parser.parse_args([str(arg) for arg in body["argv"]])
        except (argparse.ArgumentError, SystemExit, KeyError, TypeError) as exc:  # 3.11 exits on a missing option
            print(f"error: a request this process cannot read: {exc}", flush=True)
            return 2
        if (options.threads, options.concurrent) != self.asked:
            print(
                f"error: this process was started for (threads, concurrent) {self.asked}, "
                f"not {(options.threads, options.concurrent)}",
                flush=True,
            )
            return 2
        try:
            train_request(pools=self.pools, **vars(options))
        except TrainingRequestError as exc:
            print(f"error: {exc}", flush=True)
            return 1
        except Exception:
            traceback.print_exc(file=sys.stdout)
            sys.stdout.flush()
            return 1
        finally:
            clear_keras_session()
        return 0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Train regressions one after another (requests on stdin).")
    parser.add_argument("--threads", type=int, default=int(os.environ.get("TRAINING_THREADS") or 0))
    parser.add_argument("--concurrent", type=int, default=1)
    args = parser.parse_args(argv)
    pools = configure_tensorflow(args.threads, concurrent=args.concurrent)  # loads TensorFlow, once
    clear_keras_session()  # loads Keras, before the freeze below

    # What is loaded now lives as long as the process: keep it out of every later collection.
    gc.collect()
    gc.freeze()
    serve_requests(WarmTrainer(pools, threads=args.threads, concurrent=args.concurrent))


if __name__ == "__main__":
    main()
