"""Training throughput at real size: the job system against a bare ``model.fit``, per family.

A real default epoch (48 months of BTCUSDT from BINANCE_MIRROR_DIR, imported into a temporary
store; the `original` grid, batch size 512, validation split 0.2) and one real-size config per
family (``--pick smallest``: the family's config with the fewest units and filters;
``middle``: its median by that size, much slower for the recurrent families). Every training
runs six epochs (the epoch's ``max_epochs`` is 6): whole epochs for the ``--full-epochs``
families (by default the cheap ones: DNN, CNN, CDNN), else ``--batches`` fitting mini-batches
(the ``TRAINING_MAX_BATCHES`` setting bounds each epoch) with the validation mini-batches in the
epoch's proportion. Each path runs ``--rounds`` pairs of trainings, in the order job, bare,
bare, job, ... (a drift of the machine's speed slows both alike), and its epochs after each
run's first (which also traces the graphs) are pooled; the fastest pooled epoch of each path is
the one compared (the one the machine's other work disturbed least: a small DNN's epoch lasts
about 0.2 s, where a few milliseconds of another process count), and the ratio of the pooled
medians is printed beside it.
A bounded epoch overstates the job's share: its fixed per-epoch cost (the ``fit`` call's set-up,
the checkpoint) is spread over fewer mini-batches than a real epoch's.
For each config:

* job system: the real training job (`regressions.train`: a child TensorFlow process, the
  window feed, a checkpoint per epoch, the test prediction, discovery, the certificate and the
  `.keras`/`.h5` files); an epoch's time is the certificate's ``runtime.epoch_seconds`` (the
  epoch's ``fit`` call with its validation, and its checkpoint), the rest of the job's wall
  time is its fixed cost;
* bare fit: in this process, ``model.fit`` on the same windows copied into plain float32 arrays
  (before the clock starts), the same model, seed, batch and validation counts, one ``fit``
  call of six epochs (Keras shuffling), each epoch timed by a callback, nothing saved.

Both use the same thread pools and op determinism. Seconds per 1,000 fitting windows and their
ratio are printed side by side; from them it projects the whole `original` grid (1,220 configs)
for ``--workers`` (and ``--gpus``, only when TensorFlow trained on a GPU here).

    .venv/bin/python benchmarks/training_throughput.py [--batches 6] [--full-epochs DNN,CNN,CDNN]
        [--families DNN,LSTM] [--rounds 4]
        [--workers 2] [--gpus 1] [--epochs 500] [--threads 0]

Prints one JSON object as its last line.
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
GOAL = "job system within 1.05x of bare fit per 1,000 windows at real size"
GOAL_RATIO = 1.05
EPOCHS = 6  # per regression and path: the first traces the graphs, the fastest of the others counts


def loadavg() -> list[float]:
    return [float(v) for v in Path("/proc/loadavg").read_text().split()[:3]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=6, help="fitting mini-batches per epoch, family and path")
    parser.add_argument("--full-epochs", default="DNN,CNN,CDNN", help="families timed on whole epochs")
    parser.add_argument("--families", default="DNN,CNN,CDNN,LSTM,GRU,CLSTM")
    parser.add_argument("--workers", type=int, default=2, help="trainings at once, for the grid's projection")
    parser.add_argument("--gpus", type=int, default=1, help="GPUs, for the grid's projection (GPU runs only)")
    parser.add_argument("--epochs", type=int, default=500, help="epochs per regression assumed by the projection")
    parser.add_argument(
        "--rounds", type=int, default=4, help="pairs of runs per family and path, in the order job, bare, bare, job"
    )
    parser.add_argument("--pick", choices=("smallest", "middle"), default="smallest", help="which config per family")
    parser.add_argument(
        "--threads",
        type=int,
        default=0,
        help="TensorFlow threads per training; 0: its share of the cores among --workers",
    )
    args = parser.parse_args()
    load_before = loadavg()
    if args.threads == 0:
        # Each of --workers trainings gets its share of the cores (the projection runs them side by
        # side). The job alone on this host would take every core: fix its threads to the share.
        from regressions.engine.runtime import host_cores, thread_settings

        args.threads = thread_settings(cores=host_cores(), concurrent=args.workers).intra_op
    var = tempfile.mkdtemp(prefix="eb-bench-")
    os.environ.update(
        EPOCA_VAR_DIR=var,
        DJANGO_SETTINGS_MODULE="epoca_builder.settings",
        TRAINING_THREADS=str(args.threads),
    )
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from regressions.engine.runtime import configure_tensorflow

    # The same pools as the job's child process: threads, or its share of the cores.
    pools = configure_tensorflow(args.threads, concurrent=settings.Q_CLUSTER["workers"])
    call_command("migrate", verbosity=0)
    from cluster.jobs.cli import run_inline
    from epochs.services.candles import candle_import_enqueue
    from epochs.services.epochs import epoch_create
    from regressions.services.grid import configs_plan, configs_record
    from regressions.services.training import regression_train_enqueue

    started = time.perf_counter()
    job = run_inline(
        candle_import_enqueue(
            start_month="2020-01", end_month="2024-12", source=str(settings.BINANCE_MIRROR_DIR), inline=True
        )
    )
    assert job.status == "succeeded", job.error
    # A default epoch, but three training epochs per regression (the benchmark times the last two).
    epoch, job = epoch_create(candlestick_set=job.target, id="_TPUT", max_epochs=EPOCHS, inline=True)
    run_inline(job)
    epoch.refresh_from_db()
    assert epoch.status == "ready", epoch.error if hasattr(epoch, "error") else epoch.status
    plan = configs_plan(epoch=epoch, profile="original")
    configs_record(epoch=epoch, profile="original", result=plan)
    setup_s = time.perf_counter() - started
    print(f"epoch {epoch.id}: {epoch.epoch_width} months, set up in {setup_s:.1f} s", flush=True)

    import numpy as np
    import tensorflow as tf

    from core.files import read_json
    from epochs.engine.epoch_params import PARAM
    from epochs.services.paths import epoch_dir
    from regressions.engine.architectures import build_model
    from regressions.engine.pipeline import CERTIFICATE, EpochData, regression_dir
    from regressions.engine.runtime import runtime_record, set_op_determinism
    from regressions.engine.training import TrainingSettings, WindowFeed, _learning_rate

    class EpochClock(tf.keras.callbacks.Callback):
        """Each epoch's seconds, from its first batch to the end of its validation."""

        def __init__(self) -> None:
            super().__init__()
            self.seconds: list[float] = []

        def on_epoch_begin(self, epoch, logs=None):
            self.started = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.seconds.append(time.perf_counter() - self.started)

    folder = epoch_dir(epoch.id)
    data = EpochData.load(folder)
    training_settings = TrainingSettings.of_epoch(data.config, data.settings)
    batch = training_settings.batch_size
    all_configs = list(epoch.regression_configs.select_related("regression").order_by("batch__number", "position"))
    counts: dict[str, int] = {}
    for config in all_configs:
        if config.category != "UNIT_TEST":  # the grid's one check regression, not a family
            counts[config.category] = counts.get(config.category, 0) + 1
    families = [f.strip() for f in args.families.split(",") if f.strip()]

    def size(config) -> int:
        model = config.config["keras_model"]
        return sum(model.get("units") or []) + sum(model.get("filters") or [])

    from regressions.engine.windows import build_windows
    from regressions.services.training import regression_reset

    rows = []
    for family in families:
        members = [c for c in all_configs if c.category == family]
        members.sort(key=size)
        config = members[0 if args.pick == "smallest" else len(members) // 2]
        c = config.config
        full = family in {f.strip() for f in args.full_epochs.split(",")}
        windows = build_windows(
            data.normalized,
            lookback=int(c["lookback"]),
            predictions=int(c["predictions"]),
            train_split=data.config["train_split"],
            purge=bool(data.settings.get("purge", False)),
        )
        feed = WindowFeed(tf, windows, validation_split=training_settings.validation_split, batch_size=batch)
        steps = feed.fit_steps if full else min(args.batches, feed.fit_steps)
        val_steps = feed.validation_steps_for(steps)
        x = np.asarray(windows.train_x, dtype=np.float32)
        y = np.asarray(windows.train_y, dtype=np.float32)
        cut = feed.fit_count

        # Rounds in the order job, bare, bare, job, job, ...: a drift of the machine's speed
        # during the runs slows both paths alike. Each run's epochs after its first are pooled.
        job_epochs: list[float] = []
        bare_epochs: list[float] = []
        job_fixed: list[float] = []
        first_job: list[float] = []
        first_bare: list[float] = []
        for index in range(2 * args.rounds):
            if index % 4 in (0, 3):
                # The real job (each epoch bounded by TRAINING_MAX_BATCHES; 0: whole epochs); after
                # its first run the regression is retrained (its next generation, from scratch).
                settings.TRAINING_MAX_BATCHES = 0 if full else args.batches
                regression = config.regression
                regression.refresh_from_db()
                if regression.status == "trained":
                    regression = regression_reset(regression=regression)
                started = time.perf_counter()
                job = run_inline(regression_train_enqueue(regression=regression, inline=True))
                wall = time.perf_counter() - started
                assert job.status == "succeeded", job.error
                cert = read_json(regression_dir(folder, config.pk) / CERTIFICATE)
                epochs = [float(v) for v in cert["runtime"]["epoch_seconds"]]
                assert len(epochs) == EPOCHS, epochs
                job_epochs += epochs[1:]
                first_job.append(epochs[0])
                job_fixed.append(wall - sum(epochs))
                continue
            # Bare fit: the same windows as plain arrays, the same model, seed and batches.
            tf.keras.backend.clear_session()
            tf.keras.utils.set_random_seed(int(data.config["seed"]))
            set_op_determinism(tf, settings.TRAINING_DETERMINISM)
            model = build_model(c["keras_model"], int(c["lookback"]), int(c["predictions"]))
            model.compile(
                optimizer=tf.keras.optimizers.Adam(learning_rate=_learning_rate(tf, c["learning_rate"])),
                loss=c["loss"],
                metrics=[c["metric"]],
            )
            clock = EpochClock()
            model.fit(
                x[:cut],
                y[:cut],
                batch_size=batch,
                epochs=EPOCHS,
                steps_per_epoch=None if full else steps,
                validation_data=(x[cut:], y[cut:]),
                validation_steps=None if full else val_steps,
                shuffle=True,
                verbose=0,
                callbacks=[clock],
            )
            bare_epochs += clock.seconds[1:]
            first_bare.append(clock.seconds[0])
        fit_windows = min(steps * batch, cut)
        per_1000_job = min(job_epochs) / fit_windows * 1000
        per_1000_bare = min(bare_epochs) / fit_windows * 1000
        median_ratio = float(np.median(job_epochs) / np.median(bare_epochs))
        row = {
            "family": family,
            "config": config.pk,
            "params": int(model.count_params()),
            "fit_windows_per_epoch": cut,
            "batches": steps,
            "whole_epoch": full,
            "validation_batches": val_steps,
            "windows_timed": fit_windows,
            "rounds": args.rounds,
            "epochs_compared": [len(job_epochs), len(bare_epochs)],
            "job_s_per_1000_windows": round(per_1000_job, 4),
            "bare_s_per_1000_windows": round(per_1000_bare, 4),
            "ratio": round(per_1000_job / per_1000_bare, 3),
            "median_ratio": round(median_ratio, 3),
            "goal": GOAL,
            "goal_met": per_1000_job / per_1000_bare <= GOAL_RATIO,
            "first_epoch_job_s": round(min(first_job), 3),
            "first_epoch_bare_s": round(min(first_bare), 3),
            "job_fixed_s": round(min(job_fixed), 2),
            "job_fixed_each_s": [round(v, 2) for v in job_fixed],
            "device": cert["runtime"]["device"],
            "pick": args.pick,
        }
        rows.append(row)
        print(
            f"{family:6} {config.pk[:40]:40} params {row['params']:>9,}  job {per_1000_job:7.4f}  "
            f"bare {per_1000_bare:7.4f} s/1000 windows  ratio {row['ratio']:.3f} (medians {median_ratio:.3f})  "
            f"fixed {row['job_fixed_s']:.1f} s",
            flush=True,
        )

    runtime = runtime_record(tf)
    on_gpu = runtime["device"].startswith("GPU")
    patience = training_settings.patience
    assumption = (
        "steady-state epochs (the fastest after the first measured) and "
        f"every regression trains --epochs {args.epochs} epochs (the original's max_epochs is "
        f"{PARAM['max_epochs'].default}; early stopping with patience {patience} can end one after "
        f"{patience + 1}), each epoch at its family's measured job-system seconds per 1,000 fitting "
        "windows times the epoch's fitting windows, plus the job's measured fixed cost; every "
        f"config of a family as its measured one (--pick {args.pick}"
        + ("; the smallest of each family, so bigger configs take longer" if args.pick == "smallest" else "")
        + "); trainings in parallel each as fast as the measured one alone"
    )

    def grid_seconds(parallel: int) -> float | None:
        total = 0.0
        for family, count in counts.items():
            row = next((r for r in rows if r["family"] == family), None)
            if row is None:
                return None
            epoch_s = row["job_s_per_1000_windows"] * row["fit_windows_per_epoch"] / 1000
            total += count * (args.epochs * epoch_s + row["job_fixed_s"])
        return total / parallel

    cpu_total = grid_seconds(args.workers) if not on_gpu else None
    gpu_total = grid_seconds(args.gpus) if on_gpu else None
    projection = {
        "grid": "original",
        "configs": sum(counts.values()),
        "configs_per_family": counts,
        "assumption": assumption,
        "cpu_workers": args.workers,
        "cpu_hours": None if cpu_total is None else round(cpu_total / 3600, 1),
        "cpu_reason": None
        if cpu_total is not None
        else ("measured on a GPU" if on_gpu else "not every family was measured"),
        "gpus": args.gpus,
        "gpu_hours": None if gpu_total is None else round(gpu_total / 3600, 1),
        "gpu_reason": None if on_gpu else "not measured: TensorFlow sees no GPU on this machine",
    }
    if cpu_total is not None:
        print(
            f"original grid ({projection['configs']} configs) on {args.workers} CPU worker(s): {cpu_total / 3600:,.0f} h"
        )
    worst = max((r["ratio"] for r in rows), default=None)
    print(f"worst ratio job / bare: {worst} (goal {GOAL_RATIO}); load average {loadavg()}")
    print(
        json.dumps(
            {
                "epoch_months": epoch.epoch_width,
                "batch_size": batch,
                "threads": pools.as_dict(),
                "runtime": runtime,
                "families": rows,
                "worst_ratio": worst,
                "goal": GOAL,
                "goal_met": worst is not None and worst <= GOAL_RATIO,
                "projection": projection,
                "setup_s": round(setup_s, 1),
                "loadavg_before_after": [load_before, loadavg()],
            }
        )
    )


if __name__ == "__main__":
    main()
