"""Training overhead: the same small models through the job system vs a bare Keras loop.

Both sides train the same configs of the `smoke` grid on the same real epoch (1 month of
15-minute candles from BINANCE_MIRROR_DIR), with the same epochs, batch size and seed:

* job system, warm: one parent job for the batch and one child job per regression, trained one
  after another by the worker's warm TensorFlow process (``TRAINING_WARM_PROCESS``, the default;
  its start is counted), with a checkpoint per epoch, a certificate, discovery, the `.keras` and
  legacy `.h5` files and the database records;
* job system, worker-start: the same, retrained by a warm process started as its worker starts
  (``TRAINING_WARM_AT_START``, the default), the batch queued once the process has had 1.5
  times its measured start to load TensorFlow (a worker that started before its work came);
* job system, cold: the same, each regression in a fresh TensorFlow process (the setting off),
  retraining the same regressions (a new generation each);
* bare loop: in this process, ``model.fit`` for the same number of epochs, nothing saved; run
  before and after the jobs, and their mean is the reference (the machine's load drifts).

    .venv/bin/python benchmarks/training_overhead.py [--models 6] [--epochs 5] [--modes warm,cold]

The warm process's own start (loading TensorFlow, once per worker process) is also timed alone
in the same run, so the warm mode is given both ways: with that start counted against these six
models, and without it, as for every regression after a worker's first (``warm_started_*``);
the worker-start mode measures the second way directly.

Prints one JSON object as its last line: each mode's ratio to the bare loop and its fixed cost
per regression (``(job - bare) / models``), with the goals beside them; ``fit_s`` is the engine's
own time in its epochs (``training_seconds`` of the certificates), so ``(job - fit) / models`` is
what a regression costs outside its epochs (process, model build, test predictions, files, jobs).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=6)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument(
        "--modes", default="warm,worker-start,cold", help="job-system modes to time, in order: warm, worker-start, cold"
    )
    args = parser.parse_args()
    var = tempfile.mkdtemp(prefix="eb-bench-")
    os.environ.update(EPOCA_VAR_DIR=var, DJANGO_SETTINGS_MODULE="epoca_builder.settings", TRAINING_THREADS="1")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from cluster.jobs.cli import run_inline, run_tree_inline
    from epochs.services.candles import candle_import_enqueue
    from epochs.services.epochs import epoch_create
    from regressions.models import Regression, TrainingBatch
    from regressions.services.grid import configs_plan, configs_record
    from regressions.services.training import batch_train_enqueue

    job = run_inline(
        candle_import_enqueue(
            start_month="2021-01", end_month="2021-03", source=str(settings.BINANCE_MIRROR_DIR), inline=True
        )
    )
    epoch, job = epoch_create(
        candlestick_set=job.target,
        id="_BENCH",
        epoch_width=1,
        regression_grid_profile="smoke",
        max_epochs=args.epochs,
        patience=args.epochs,
        batch_size=256,
        inline=True,
    )
    run_inline(job)
    epoch.refresh_from_db()
    configs_record(epoch=epoch, profile="smoke", result=configs_plan(epoch=epoch, profile="smoke"))
    # One batch holding the first N configs, so both sides train exactly the same models.
    configs = list(
        epoch.regression_configs.exclude(category="UNIT_TEST").order_by("category", "batch__number", "position")[
            : args.models
        ]
    )
    batch = TrainingBatch.objects.create(
        epoch=epoch,
        name="KR_BENCH_1_1",
        category="DNN",
        number=1,
        total=1,
        profile="smoke",
        config_file=configs[0].batch.config_file,
    )
    from regressions.models import RegressionConfig

    RegressionConfig.objects.filter(pk__in=[c.pk for c in configs]).update(batch=batch)
    # Each config keeps pointing at its own batch file through its config JSON: write one file for the bench batch.
    from core.files import write_json
    from epochs.services.paths import epoch_layout

    layout = epoch_layout(epoch.id)
    bench_file = layout.training_configs / "BENCH.json"
    write_json(bench_file, {"name": batch.name, "configs": [c.config for c in configs]})
    TrainingBatch.objects.filter(pk=batch.pk).update(config_file=bench_file.relative_to(layout.root).as_posix())
    batch.refresh_from_db()

    import numpy as np
    import tensorflow as tf

    from regressions.engine.architectures import build_model
    from regressions.engine.pipeline import EpochData
    from regressions.engine.training import _learning_rate
    from regressions.engine.windows import build_windows

    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    data = EpochData.load(layout.root)
    windows = build_windows(
        data.normalized,
        lookback=epoch.regression_lookback,
        predictions=epoch.regression_predictions,
        train_split=epoch.train_split,
        purge=epoch.purge,
    )
    x, y = np.asarray(windows.train_x, dtype=np.float32), np.asarray(windows.train_y, dtype=np.float32)

    def bare_loop() -> float:
        started = time.perf_counter()
        for config in configs:
            c = config.config
            tf.keras.backend.clear_session()
            tf.keras.utils.set_random_seed(epoch.seed)
            model = build_model(c["keras_model"], epoch.regression_lookback, epoch.regression_predictions)
            model.compile(
                optimizer=tf.keras.optimizers.Adam(learning_rate=_learning_rate(tf, c["learning_rate"])),
                loss=c["loss"],
                metrics=[c["metric"]],
            )
            model.fit(
                x,
                y,
                validation_split=epoch.validation_split,
                epochs=args.epochs,
                batch_size=256,
                shuffle=True,
                verbose=0,
            )
        return time.perf_counter() - started

    bare_before = bare_loop()

    import subprocess

    def warm_process_start() -> float:
        """A warm training process started and ended at once: TensorFlow loaded, nothing trained."""
        started = time.perf_counter()
        argv = [sys.executable, "-m", "regressions.engine.training_server", "--threads", "1", "--concurrent", "2"]
        subprocess.run(argv, cwd=REPO, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, check=True)
        return time.perf_counter() - started

    start_seconds = min(warm_process_start() for _ in range(2))

    from django.test import override_settings

    from regressions.services.training import regression_reset
    from regressions.services.training_server import (
        warm_training_server,
        warm_training_server_start_with_worker,
        warm_training_server_stop,
    )

    modes = [mode.strip() for mode in args.modes.split(",") if mode.strip()]
    timings: dict[str, dict] = {}
    for index, mode in enumerate(modes):
        if index:  # the same regressions again: each retrain is a new generation, trained from scratch
            for regression in Regression.objects.filter(config__batch=batch):
                regression_reset(regression=regression)
        starts = None
        if mode == "worker-start":
            starts = warm_training_server_start_with_worker().starts
            time.sleep(1.5 * start_seconds)  # the worker waits for work while TensorFlow loads
        with override_settings(TRAINING_WARM_PROCESS=mode != "cold"):
            started = time.perf_counter()
            job = run_tree_inline(batch_train_enqueue(batch=batch, inline=True))
            seconds = time.perf_counter() - started
        if starts is not None:  # every regression was served by the process started with the worker
            assert warm_training_server().starts == starts, "a training restarted the warm process"
        warm_training_server_stop()  # the bare loop runs alone
        assert job.status == "succeeded", job.error
        trained = Regression.objects.filter(config__batch=batch, status="trained").count()
        children = list(job.children.all())
        fit_seconds = sum(r.training_seconds for r in Regression.objects.filter(config__batch=batch))
        timings[mode] = {
            "seconds": seconds,
            "child_jobs_s": sum((c.finished - c.started).total_seconds() for c in children),
            "fit_s": fit_seconds,
        }

    bare_after = bare_loop()
    bare_seconds = (bare_before + bare_after) / 2  # before and after the jobs: the machine's load drifts
    print(f"models: {trained}, epochs each: {args.epochs}, train windows: {len(x)}")
    print(
        f"bare Keras:        {bare_seconds:8.2f} s  ({bare_seconds / trained:.2f} s per model; "
        f"{bare_before:.2f} s before the jobs, {bare_after:.2f} s after)"
    )
    figures: dict[str, object] = {
        "models": trained,
        "epochs": args.epochs,
        "bare_keras_s": round(bare_seconds, 2),
        "bare_keras_before_after_s": [round(bare_before, 2), round(bare_after, 2)],
    }
    for mode, timing in timings.items():
        key = mode.replace("-", "_")
        seconds = timing["seconds"]
        ratio = seconds / bare_seconds
        fixed = (seconds - bare_seconds) / trained
        outside = (seconds - timing["fit_s"]) / trained
        print(
            f"job system, {mode}: {seconds:8.2f} s  ({seconds / trained:.2f} s per model; in child jobs "
            f"{timing['child_jobs_s']:.2f} s, of which fitting {timing['fit_s']:.2f} s)  "
            f"ratio {ratio:.2f}x, fixed cost {fixed:.2f} s per regression ({outside:.2f} s outside the "
            "epochs' fitting)"
        )
        figures.update(
            {
                f"{key}_job_system_s": round(seconds, 2),
                f"{key}_child_jobs_s": round(timing["child_jobs_s"], 2),
                f"{key}_fit_s": round(timing["fit_s"], 2),
                f"{key}_ratio": round(ratio, 2),
                f"{key}_fixed_cost_per_regression_s": round(fixed, 2),
                f"{key}_outside_fitting_per_regression_s": round(outside, 2),
            }
        )
    if "warm" in timings:
        started = timings["warm"]["seconds"] - start_seconds
        print(
            f"warm process start alone: {start_seconds:.2f} s; without it the warm job system takes "
            f"{started:.2f} s, ratio {started / bare_seconds:.2f}x, fixed cost "
            f"{(started - bare_seconds) / trained:.2f} s per regression"
        )
        figures.update(
            {
                "warm_process_start_s": round(start_seconds, 2),
                "warm_started_ratio": round(started / bare_seconds, 2),
                "warm_started_fixed_cost_per_regression_s": round((started - bare_seconds) / trained, 2),
            }
        )
    figures.update({"goal_warm_ratio": 1.2, "goal_warm_fixed_cost_per_regression_s": 1.0})
    for key in ("warm", "worker_start"):
        if f"{key}_ratio" in figures:
            figures[f"{key}_goals_met"] = (
                figures[f"{key}_ratio"] <= 1.2 and figures[f"{key}_fixed_cost_per_regression_s"] <= 1.0
            )
    figures["load_average"] = os.getloadavg()[0]
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
