"""The demo's wall time, stage by stage: `manage.py demo --source BINANCE_MIRROR_DIR` in a fresh var folder.

The command runs as a user runs it (its own processes, a fresh SQLite database and epoch store, the
real candles of BINANCE_MIRROR_DIR); afterwards the stages' jobs say when each stage started and
ended: from the creation of its jobs to the end of the last one (a stage with several jobs,
such as the training's batches, spans them all). Prints a table and, last, one JSON line with
each stage's seconds, the total, the goal (90 s) and the 1-minute load average before and after.

``--compare`` first runs the same demo with one worker (``--workers 1``: one job at a time, as
before the demo used every core), then with the default (one per core), and prints the ratio of
their totals, measured side by side in one run.

    .venv/bin/python benchmarks/demo.py [--source ../shared/binance] [--workers N] [--compare]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

GOAL_S = 90.0


def loadavg() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def one_run(source: str | None, workers: int | None) -> dict:
    """One demo in a fresh var folder (this process configures Django for it)."""
    var = tempfile.mkdtemp(prefix="eb-bench-demo-")
    os.environ.update(EPOCA_VAR_DIR=var, DJANGO_SETTINGS_MODULE="epoca_builder.settings")
    os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    source = source or str(settings.BINANCE_MIRROR_DIR)

    # numba writes its compiled kernels beside the sources (cache=True): the first run in a checkout compiles them.
    numba_cached = sum(1 for _ in (REPO / "prediction_models").rglob("*.nbi"))
    load_before = loadavg()
    started = time.perf_counter()
    argv = [sys.executable, str(REPO / "manage.py"), "demo", "--source", source]
    process = subprocess.run(
        [*argv, *(["--workers", str(workers)] if workers else [])],
        cwd=REPO,
        env=os.environ,
        capture_output=True,
        text=True,
    )
    total = time.perf_counter() - started
    load_after = loadavg()
    if process.returncode != 0:
        sys.stderr.write(process.stderr[-4000:])
        raise SystemExit(f"demo failed ({process.returncode})")

    from cluster.models import Job
    from pipeline.stages import STAGES

    demo = Job.objects.filter(kind="epoca_builder.demo").order_by("-pk").first()
    children = Job.objects.filter(parent=demo)
    seconds: dict[str, float] = {}
    for stage in STAGES:
        jobs = [j for j in children.filter(kind=stage.job_kind) if j.finished] if stage.job_kind else []
        # From its jobs' creation (a parent's start is its last turn's) to the end of the last one.
        seconds[stage.key] = (
            round((max(j.finished for j in jobs) - min(j.created for j in jobs)).total_seconds(), 2) if jobs else 0.0
        )
    trainings = Job.objects.filter(kind="regressions.train", parent__parent=demo)
    training_each = [(j.finished - j.started).total_seconds() for j in trainings if j.started and j.finished]
    verdict = (demo.result or {}).get("verdict")
    return {
        "workers": workers or "one per core",
        "stages_s": seconds,
        "total_s": round(total, 2),
        "goal_s": GOAL_S,
        "goal_met": total <= GOAL_S,
        "trainings": len(training_each),
        "training_each_s": [round(min(training_each), 2), round(max(training_each), 2)] if training_each else None,
        "training_sum_s": round(sum(training_each), 2),
        "training_workers": len({j.worker for j in trainings}),
        "verdict_checks": len(verdict) if verdict else None,
        "numba_cache_files_before": numba_cached,
        "cores": os.cpu_count(),
        "loadavg_1m_before_after": [load_before, load_after],
    }


def show(run: dict) -> None:
    print(f"workers: {run['workers']}")
    print(f"{'stage':<12}{'seconds':>10}")
    for stage, value in run["stages_s"].items():
        print(f"{stage:<12}{value:>10.2f}")
    print(f"{'total':<12}{run['total_s']:>10.2f}   goal {GOAL_S:.0f} s: {'met' if run['goal_met'] else 'NOT met'}")
    if run["training_each_s"]:
        low, high = run["training_each_s"]
        print(
            f"{run['trainings']} trainings on {run['training_workers']} worker(s), each {low:.1f} to {high:.1f} s "
            f"(sum {run['training_sum_s']:.1f} s)"
        )
    before, after = run["loadavg_1m_before_after"]
    print(f"cores {run['cores']}, 1-minute load {before:.2f} before, {after:.2f} after")
    print(f"numba's cache: {run['numba_cache_files_before']} compiled kernel files before the run (none: it compiled)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", default=None, help="Binance-like folder (default: BINANCE_MIRROR_DIR)")
    parser.add_argument("--workers", type=int, default=None, help="The demo's --workers (default: one per core)")
    parser.add_argument("--compare", action="store_true", help="Run it with one worker first and print the ratio")
    parser.add_argument("--single", action="store_true", help=argparse.SUPPRESS)  # one run, its JSON only
    args = parser.parse_args()
    if args.single:
        print(json.dumps(one_run(args.source, args.workers)))
        return
    runs = []
    for workers in ([1] if args.compare else []) + [args.workers or 0]:
        argv = [sys.executable, __file__, "--single", *(["--source", args.source] if args.source else [])]
        done = subprocess.run(
            [*argv, *(["--workers", str(workers)] if workers else [])], capture_output=True, text=True, cwd=REPO
        )
        if done.returncode != 0:
            sys.stderr.write(done.stderr[-4000:])
            raise SystemExit(f"benchmark run failed ({done.returncode})")
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
        show(runs[-1])
        print()
    summary = dict(runs[-1])
    if args.compare:
        summary["one_worker_total_s"] = runs[0]["total_s"]
        summary["one_worker_stages_s"] = runs[0]["stages_s"]
        summary["speedup_vs_one_worker"] = round(runs[0]["total_s"] / runs[-1]["total_s"], 2)
        print(
            f"one worker {runs[0]['total_s']:.1f} s, every core {runs[-1]['total_s']:.1f} s: "
            f"{summary['speedup_vs_one_worker']:.2f}x"
        )
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
