"""The demo's wall time, stage by stage: `manage.py demo --source BINANCE_MIRROR_DIR` in a fresh var folder.

The command runs as a user runs it (its own process, a fresh SQLite database and epoch store, the
real candles of BINANCE_MIRROR_DIR); afterwards the stages' jobs say when each stage started and
ended: from the creation of its jobs to the end of the last one (a stage with several jobs,
such as the training's batches, spans them all). Prints a table and, last, one JSON line with each stage's seconds, the total, the
goal (90 s) and the 1-minute load average before and after.

    .venv/bin/python benchmarks/demo.py [--source ../shared/binance]
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", default=None, help="Binance-like folder (default: BINANCE_MIRROR_DIR)")
    args = parser.parse_args()
    var = tempfile.mkdtemp(prefix="eb-bench-demo-")
    os.environ.update(EPOCA_VAR_DIR=var, DJANGO_SETTINGS_MODULE="epoca_builder.settings")
    os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    source = args.source or str(settings.BINANCE_MIRROR_DIR)

    load_before = loadavg()
    started = time.perf_counter()
    process = subprocess.run(
        [sys.executable, str(REPO / "manage.py"), "demo", "--source", source],
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

    print(f"{'stage':<12}{'seconds':>10}")
    for stage, value in seconds.items():
        print(f"{stage:<12}{value:>10.2f}")
    print(f"{'total':<12}{total:>10.2f}   goal {GOAL_S:.0f} s: {'met' if total <= GOAL_S else 'NOT met'}")
    if training_each:
        print(
            f"{len(training_each)} trainings, each {min(training_each):.1f} to {max(training_each):.1f} s "
            f"(sum {sum(training_each):.1f} s)"
        )
    print(f"cores {os.cpu_count()}, 1-minute load {load_before:.2f} before, {load_after:.2f} after")
    print(
        json.dumps(
            {
                "stages_s": seconds,
                "total_s": round(total, 2),
                "goal_s": GOAL_S,
                "goal_met": total <= GOAL_S,
                "trainings": len(training_each),
                "training_each_s": [round(min(training_each), 2), round(max(training_each), 2)]
                if training_each
                else None,
                "training_sum_s": round(sum(training_each), 2),
                "verdict_checks": len(verdict) if verdict else None,
                "cores": os.cpu_count(),
                "loadavg_1m_before_after": [load_before, load_after],
            }
        )
    )


if __name__ == "__main__":
    main()
