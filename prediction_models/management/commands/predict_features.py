"""Compute regression features on an epoch's test range; needs no database.

Reports JSON lines on stdout (progress, log, result) for the job that started it.
"""

import os

from django.core.management.base import BaseCommand, CommandError

from cluster.jobs.process import emit
from prediction_models.features import features_file, predict_features
from regressions.engine.runtime import configure_tensorflow


class Command(BaseCommand):
    help = "Write <out>/<regression id>.npy: each regression's features on the test range (no database needed)."
    requires_system_checks = []
    requires_migrations_checks = False

    def add_arguments(self, parser):
        parser.add_argument("--epoch-dir", required=True)
        parser.add_argument("--out", required=True, help="Folder for the .npy files.")
        parser.add_argument(
            "--test-row", type=int, required=True, help="First prediction-candle row of the test range."
        )
        parser.add_argument(
            "--holdout-row",
            type=int,
            default=None,
            help="First row of the holdout: from there windows Epoca would refuse have no feature.",
        )
        parser.add_argument("--threads", type=int, default=int(os.environ.get("TRAINING_THREADS", "1")))
        parser.add_argument("ids", nargs="+", help="Regression ids.")

    def handle(self, *args, epoch_dir, out, test_row, threads, ids, holdout_row=None, **options):
        if not all(features_file(out, rid).exists() for rid in ids):  # a resumed job may have nothing left
            configure_tensorflow(threads)
        try:
            paths = predict_features(
                epoch_dir,
                ids,
                out,
                test_row,
                progress=lambda done, total, message: emit(progress=[done, total, message]),
                holdout_row=holdout_row,
            )
        except (KeyError, OSError, ValueError) as exc:
            raise CommandError(str(exc)) from None
        emit(result={"features": len(paths)})
