"""The pipeline on two real django-q2 workers, with their process groups killed at seeded points.

A *kill point* is a (stage, job kind, progress fraction) event: when a job of that kind reaches
that fraction done (its start is 0), it waits there (hook.py) and the process group of the worker
running it gets SIGKILL, and the worker is started again at once. The run records each kill and how long the job took to run
again, and what the pipeline produced, to compare with an undisturbed run.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from cluster.choices import ACTIVE_STATUSES, JobStatus
from testing.chaos.hook import arm, disarm, hit_file

REPO = Path(settings.BASE_DIR)
STALE_SECONDS, REAPER_SECONDS, HEARTBEAT_SECONDS = 6, 2, 1
RECOVERY_BOUND = STALE_SECONDS + REAPER_SECONDS + 30
# A smaller pipeline than the demo's, through every stage: the `tiny` grid (4 regressions of 2
# epochs), 3 chosen (whichever directions two epochs taught them), 2 per model (18 configs in 6
# chunks), 2 models built, one exported.
SIZE = {
    "profile": "tiny",
    "max_epochs": 2,
    "selection": 3,
    "per_model": 2,
    "chunk_size": 3,
    "build_limit": 2,
    "selection_criteria": {"min_increase_num": 0, "min_decrease_num": 0},
}
# Stage of the pipeline -> the job kind that does its work.
STAGE_KINDS = {
    "import": "epochs.import_candles",
    "epoch": "epochs.create",
    "configs": "regressions.generate_configs",
    "training": "regressions.train",
    "assets": "prediction_models.initialize",
    "search": "prediction_models.search_chunk",
    "build": "prediction_models.build",
    "export": "epochs.export",
}
STAGE_ORDER = list(STAGE_KINDS)
# Certificate fields that say when or how long, not what.
TIMING_FIELDS = {"training_start", "training_end", "training_seconds", "creation", "epoch_seconds"}


@dataclass(frozen=True)
class KillPoint:
    stage: str
    kind: str
    fraction: float


def kill_plan(seed: int, counts: dict[str, int]) -> list[KillPoint]:
    """Seeded kill points, in pipeline order. Training dies after a seeded share of its epochs
    (it reports one step per epoch, 2 here: at most halfway); shorter jobs as soon as they run."""
    rng = random.Random(seed)
    points = []
    for stage in STAGE_ORDER:
        for _ in range(counts.get(stage, 0)):
            fraction = round(rng.uniform(0.05, 0.5), 2) if stage == "training" else 0.0
            points.append(KillPoint(stage, STAGE_KINDS[stage], fraction))
    return points


@dataclass
class Kill:
    point: KillPoint
    job_id: int
    worker: int
    at: float  # monotonic
    at_wall: object  # timezone-aware datetime
    reached_fraction: float = 0.0
    recovery_seconds: float | None = None


@dataclass
class RunReport:
    seconds: float
    kills: list[Kill] = field(default_factory=list)
    missed: list[KillPoint] = field(default_factory=list)
    snapshot: dict = field(default_factory=dict)

    @property
    def longest_recovery(self) -> float:
        return max((k.recovery_seconds or 0.0 for k in self.kills), default=0.0)


class Workers:
    """Two ``manage.py qcluster`` processes, each in its own process group (its pid is the group id)."""

    def __init__(self, root: Path, env: dict):
        self.root, self.env, self.procs, self.starts = root, env, [None, None], 0

    def start(self, slot: int) -> None:
        self.starts += 1
        log = (self.root / f"worker{slot}-{self.starts}.log").open("ab")
        self.procs[slot] = subprocess.Popen(
            [sys.executable, "manage.py", "qcluster"],
            cwd=REPO,
            env=self.env,
            start_new_session=True,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def slot_of(self, pgid: int | None) -> int | None:
        for slot, proc in enumerate(self.procs):
            if proc is not None and proc.pid == pgid:
                return slot
        return None

    def kill(self, slot: int) -> None:
        proc = self.procs[slot]
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=30)

    def stop(self) -> None:
        for proc in self.procs:
            if proc is not None and proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            if proc is None:
                continue
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)

    def logs(self, tail: int = 3000) -> str:
        return "\n".join(
            f"--- {p.name}\n{p.read_text(errors='replace')[-tail:]}" for p in sorted(self.root.glob("worker*.log"))
        )


def worker_env(root: Path, **extra: str) -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "testing.chaos.worker_settings",
        "PYTHONUNBUFFERED": "1",
        "DATABASE_URL": f"sqlite:///{connection.settings_dict['NAME']}",
        "WORKER_PROCESSES": "1",
        "TRAINING_THREADS": "1",
        "JOB_STALE_SECONDS": str(STALE_SECONDS),
        "JOB_REAPER_SECONDS": str(REAPER_SECONDS),
        "JOB_HEARTBEAT_SECONDS": str(HEARTBEAT_SECONDS),
        "EPOCHS_ROOT": str(root / "epochs"),
        "CANDLES_ROOT": str(root / "candles"),
        **extra,
    }


def run_pipeline(root: Path, *, plan: list[KillPoint], timeout: float, **env: str) -> RunReport:
    """Run the pipeline on two workers, killing at ``plan``'s points; return what happened.

    The points are armed one at a time, in pipeline order, the next as soon as one is hit: a
    stage cannot pass a point armed before it starts, since the job killed at the point before
    runs again (with its stage's work) first. The job at the point waits there (hook.reached)
    until this loop sees its ``hit`` file and kills its worker's process group.
    """
    from cluster.models import Job
    from pipeline.demo import demo_enqueue

    # Every run starts from the same empty database, its ids counted from 1 again: the epoch,
    # search and job ids are then the undisturbed run's.
    call_command("flush", interactive=False, verbosity=0)
    root.mkdir(parents=True, exist_ok=True)
    chaos_dir = root / "kill-points"
    chaos_dir.mkdir()
    workers = Workers(root, worker_env(root, CHAOS_DIR=str(chaos_dir), **env))
    # Not sent from here: this process may not share the workers' broker. The workers' reaper
    # finds a queued job with no message and sends it, as it would any lost message.
    demo = demo_enqueue(source=str(settings.BINANCE_MIRROR_DIR), size=SIZE, inline=True)
    started = time.monotonic()
    report = RunReport(seconds=0.0)
    if plan:
        arm(chaos_dir, 0, plan[0].kind, plan[0].fraction)
    recovering: list[Kill] = []
    workers.start(0)
    workers.start(1)
    try:
        while Job.objects.get(pk=demo.pk).status in ACTIVE_STATUSES:
            if time.monotonic() - started > timeout:
                raise AssertionError(
                    f"the pipeline did not end within {timeout:.0f}s\n{_jobs_table()}\n{workers.logs()}"
                )
            n = len(report.kills)
            if n < len(plan) and hit_file(chaos_dir, n).exists():
                recovering.append(_kill(chaos_dir, plan, n, workers, report))
            recovering = [kill for kill in recovering if not _recovered(kill)]
            time.sleep(0.05)
        report.seconds = time.monotonic() - started
        for kill in recovering:  # ran again and ended between two looks
            _recovered(kill, ended=True)
    finally:
        workers.stop()
    report.missed.extend(plan[len(report.kills) :])
    report.snapshot = snapshot(root, demo.pk)
    report.snapshot["_logs"] = workers.logs()
    return report


def _kill(chaos_dir: Path, plan: list[KillPoint], n: int, workers: Workers, report: RunReport) -> Kill:
    """Point ``n`` was reached: arm the next one, kill the worker holding the job there, start it again."""
    hit = json.loads(hit_file(chaos_dir, n).read_text())
    slot = workers.slot_of(hit["pgid"])
    if slot is None:
        raise AssertionError(
            f"kill point {plan[n]} was reached in process group {hit['pgid']}, not one of the workers'"
        )
    if n + 1 < len(plan):
        arm(chaos_dir, n + 1, plan[n + 1].kind, plan[n + 1].fraction)
    else:
        disarm(chaos_dir)
    at_wall = timezone.now()
    workers.kill(slot)
    kill = Kill(plan[n], hit["job"], slot, time.monotonic(), at_wall, reached_fraction=hit["fraction"])
    workers.start(slot)
    report.kills.append(kill)
    return kill


def _recovered(kill: Kill, *, ended: bool = False) -> bool:
    """Whether the killed job has been claimed again (its recovery is then recorded)."""
    from cluster.models import Job

    job = Job.objects.get(pk=kill.job_id)
    if job.started and job.started > kill.at_wall and (ended or job.status != JobStatus.QUEUED):
        kill.recovery_seconds = (job.started - kill.at_wall).total_seconds()
        return True
    return False


def _jobs_table() -> str:
    from cluster.models import Job

    return "\n".join(
        f"#{j.pk} {j.kind} {j.status} attempts={j.attempts}/{j.max_attempts} waiting={j.waiting} {j.error[:200]}"
        for j in Job.objects.order_by("pk")
    )


# ------------------------------------------------------------------------------ what it made
_STAMP = re.compile(r"\d{2}/\d{2}/\d{4}, \d{2}:\d{2}:\d{2} UTC")  # "Generated by ... on <when>"


def _without_timing(value):
    if isinstance(value, dict):
        return {k: _without_timing(v) for k, v in value.items() if k not in TIMING_FIELDS}
    if isinstance(value, list):
        return [_without_timing(v) for v in value]
    if isinstance(value, str):
        return _STAMP.sub("<when>", value)
    return value


def _weights(path: Path) -> dict[str, str]:
    """sha256 of every array in a Keras HDF5 file: equal digests, equal weights."""
    import h5py

    digests = {}
    with h5py.File(path, "r") as handle:

        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                digests[name] = hashlib.sha256(obj[()].tobytes()).hexdigest()

        handle.visititems(visit)
    return digests


def snapshot(root: Path, demo_id: int) -> dict:
    from cluster.models import Job
    from prediction_models.models import PredictionModel, ProfitableConfig
    from regressions.models import Regression

    demo = Job.objects.get(pk=demo_id)
    epoch_id = demo.state.get("epoch")
    folder = root / "epochs" / str(epoch_id)
    regressions = {}
    for reg in Regression.objects.filter(epoch_id=epoch_id).order_by("config_id"):
        reg_dir = next(folder.rglob(f"{reg.config_id}/certificate.json"), None)
        regressions[reg.config_id] = {
            "status": reg.status,
            "weights": _weights(reg_dir.parent / "model.h5") if reg_dir else None,
            "certificate": _without_timing(json.loads(reg_dir.read_text())) if reg_dir else None,
        }
    models = {}
    for model in PredictionModel.objects.filter(search__epoch_id=epoch_id).order_by("id"):
        cert = folder / model.certificate_file
        models[model.id] = _without_timing(json.loads(cert.read_text())) if cert.exists() else None
    profitable = sorted(
        ProfitableConfig.objects.filter(search__epoch_id=epoch_id).values_list(
            "config_index",
            "regression_ids",
            "price_change_requirement",
            "min_sum_function",
            "min_sum_adjustment_factor",
            "profit",
            "accuracy",
            "positions",
            "largest_drawdown",
            "final_balance",
        ),
        key=lambda row: row[0],
    )
    leftovers = [
        str(p.relative_to(root))
        for base in (root / "epochs", root / "candles")
        if base.exists()
        for p in base.rglob("*")
        if _is_leftover(p.name) or (p.is_file() and "regression_training_checkpoints" in p.parts)
    ]
    return {
        "demo": {"status": demo.status, "error": demo.error, "result": demo.result},
        "epoch": epoch_id,
        "regressions": regressions,
        "models": models,
        "profitable": [list(r) for r in profitable],
        "jobs_not_succeeded": [
            (j.pk, j.kind, j.status, j.error[:300]) for j in Job.objects.exclude(status=JobStatus.SUCCEEDED)
        ],
        "duplicate_jobs": _duplicate_jobs(),
        "leftovers": leftovers,
        # How many worker processes trained regressions (each run of a worker has its own group).
        "training_groups": len(
            set(Job.objects.filter(kind="regressions.train").values_list("process_group", flat=True))
        ),
    }


def _is_leftover(name: str) -> bool:
    """Staging folders (``.staging-*`` of the candle store, ``.<EPOCH>.*`` of a creation) and temporary files."""
    return (
        name.startswith((".staging", ".tmp", "tmp"))
        or name.endswith((".tmp", ".part", ".partial"))
        or (name.startswith(".") and "." in name[1:])
    )


def _duplicate_jobs() -> list:
    from django.db.models import Count

    from cluster.models import Job

    return list(
        Job.objects.exclude(dedup_key="")
        .values("kind", "dedup_key", "parent_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .values_list("kind", "dedup_key", "parent_id", "n")
    )
