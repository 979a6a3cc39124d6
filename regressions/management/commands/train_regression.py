"""Train one regression from an epoch folder; needs no database (cluster servers run it too).

Reports JSON lines on stdout (progress, log, result) for the job that started it.
"""

import os
import shutil

from django.core.management.base import BaseCommand, CommandError

from cluster.jobs.process import emit
from regressions.engine.pipeline import load_config, regression_dir, train_config
from regressions.engine.runtime import configure_tensorflow


class Command(BaseCommand):
    help = "Train one regression config of an epoch folder (no database needed)."
    requires_system_checks = []
    requires_migrations_checks = False

    def add_arguments(self, parser):
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
            default=None,
            help="Trainings this host runs at once (its job capacity); default: WORKER_PROCESSES.",
        )
        parser.add_argument(
            "--no-determinism",
            action="store_true",
            help="Switch TensorFlow's op determinism off (faster, results not reproducible).",
        )
        parser.add_argument(
            "--max-batches", type=int, help="Stop after this many fitting mini-batches (benchmarks only)."
        )
        parser.add_argument("--out-dir", help="Write the files here instead of the regression's folder (a retraining).")
        parser.add_argument(
            "--discard-trained",
            action="store_true",
            help="Remove a trained copy found in the epoch folder and train again (on a cluster "
            "server: a copy the central machine does not hold is never taken as trained).",
        )

    def handle(
        self,
        *args,
        epoch_dir,
        config,
        id=None,
        threads=0,
        concurrent=None,
        no_determinism=False,
        max_batches=None,
        discard_trained=False,
        out_dir=None,
        **options,
    ):
        pools = configure_tensorflow(threads, concurrent=concurrent)
        try:
            regression_config = load_config(config, id)
        except (KeyError, OSError, ValueError) as exc:
            raise CommandError(str(exc)) from None
        if discard_trained and regression_dir(epoch_dir, regression_config["id"]).exists():
            shutil.rmtree(regression_dir(epoch_dir, regression_config["id"]))
            emit(log=f"discarded an earlier copy of {regression_config['id']} in {epoch_dir}")
        emit(
            log=f"training {regression_config['id']} with {pools.intra_op} intra-op and {pools.inter_op} inter-op "
            f"thread(s) on {tensorflow_device()}, op determinism {'off' if no_determinism else 'on'}"
        )
        try:
            certificate = train_config(
                regression_config,
                epoch_dir,
                progress=lambda done, total, message: emit(progress=[done, total, message]),
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
            raise CommandError(str(exc)) from None
        emit(state={"trained": True})
        emit(result={"id": certificate["id"], "best_epoch": certificate["best_epoch"]})


def tensorflow_device() -> str:
    """Where TensorFlow places the training: the GPUs it sees, else the CPU."""
    import tensorflow as tf  # why: TensorFlow is heavy; only the processes that train or predict load it

    gpus = [device.name for device in tf.config.list_physical_devices("GPU")]
    return f"GPU ({', '.join(gpus)})" if gpus else "CPU (TensorFlow sees no GPU)"
