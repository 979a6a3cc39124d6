"""Predict the last forecast step of given input windows with trained regressions; needs no database.

Reports JSON lines on stdout (progress, log, result) for the job that started it.
"""

import os

from django.core.management.base import BaseCommand, CommandError

from cluster.jobs.process import emit
from prediction_models.features import features_file, predict_windows
from regressions.engine.runtime import configure_tensorflow


class Command(BaseCommand):
    help = "Write <out>/<regression id>.npy: each regression's last forecast step for every window of --windows."
    requires_system_checks = []
    requires_migrations_checks = False

    def add_arguments(self, parser):
        parser.add_argument("--epoch-dir", required=True)
        parser.add_argument("--windows", required=True, help="A .npy of normalised input windows (rows x lookback).")
        parser.add_argument("--out", required=True, help="Folder for the .npy files.")
        parser.add_argument("--threads", type=int, default=int(os.environ.get("TRAINING_THREADS", "1")))
        parser.add_argument("ids", nargs="+", help="Regression ids.")

    def handle(self, *args, epoch_dir, windows, out, threads, ids, **options):
        if not all(features_file(out, rid).exists() for rid in ids):
            configure_tensorflow(threads)
        try:
            paths = predict_windows(
                epoch_dir,
                ids,
                windows,
                out,
                progress=lambda done, total, message: emit(progress=[done, total, message]),
            )
        except (KeyError, OSError, ValueError) as exc:
            raise CommandError(str(exc)) from None
        emit(result={"forecasts": len(paths)})
