"""The pipeline on two real django-q2 workers, with their process groups killed at seeded points.

A *kill point* is a (stage, job kind, progress fraction) event: when a job of that kind runs
with at least that fraction done, the process group of the worker running it gets SIGKILL, and
the worker is started again at once. The run records each kill and how long the job took to run
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
from django.db import connection
from django.utils import timezone

from cluster.choices import ACTIVE_STATUSES, JobStatus

REPO = Path(settings.BASE_DIR)
STALE_SECONDS, REAPER_SECONDS, HEARTBEAT_SECONDS = 6, 2, 1
RECOVERY_BOUND = STALE_SECONDS + REAPER_SECONDS + 30
# A smaller pipeline than the demo's, through every stage: the `tiny` grid (4 regressions of 2
# epochs), 3 chosen (whichever directions two epochs taught them), 2 per model (18 configs in 6
# chunks), 2 models built, one exported.
SIZE = {"profile": "tiny", "max_epochs": 2, "selection": 3, "per_model": 2, "chunk_size": 3, "build_limit": 2,
        "selection_criteria": {"min_increase_num": 0, "min_decrease_num": 0}}
# Stage of the pipeline -> the job kind that does its work.
STAGE_KINDS = {
    "import": "epochs.import_candles", "epoch": "epochs.create", "configs": "regressions.generate_configs",
    "training": "regressions.train", "assets": "prediction_models.initialize", "search": "prediction_models.search_chunk",
    "build": "prediction_models.build", "export": "epochs.export",
}
STAGE_ORDER = list(STAGE_KINDS)
# Certificate fields that say when or how long, not what.
TIMING_FIELDS = {"training_start", "training_end", "training_seconds", "creation"}


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
        self.procs[slot] = subprocess.Popen([sys.executable, "manage.py", "qcluster"], cwd=REPO, env=self.env,
                                            start_new_session=True, stdout=log, stderr=subprocess.STDOUT)

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
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-tail:]}" for p in sorted(self.root.glob("worker*.log")))


def worker_env(root: Path, **extra: str) -> dict:
    return {
        **os.environ, "DJANGO_SETTINGS_MODULE": "epoca_builder.test_settings", "PYTHONUNBUFFERED": "1",
        "DATABASE_URL": f"sqlite:///{connection.settings_dict['NAME']}", "WORKER_PROCESSES": "1", "TRAINING_THREADS": "1",
        "JOB_STALE_SECONDS": str(STALE_SECONDS), "JOB_REAPER_SECONDS": str(REAPER_SECONDS),
        "JOB_HEARTBEAT_SECONDS": str(HEARTBEAT_SECONDS),
        "EPOCHS_ROOT": str(root / "epochs"), "CANDLES_ROOT": str(root / "candles"), **extra,
    }


def run_pipeline(root: Path, *, plan: list[KillPoint], timeout: float, **env: str) -> RunReport:
    """Run the pipeline on two workers, killing at ``plan``'s points; return what happened."""
    from cluster.models import Job
    from pipeline.demo import demo_enqueue

    root.mkdir(parents=True, exist_ok=True)
    workers = Workers(root, worker_env(root, **env))
    # Not sent from here: this process may not share the workers' broker. The workers' reaper
    # finds a queued job with no message and sends it, as it would any lost message.
    demo = demo_enqueue(source=str(settings.BINANCE_MIRROR_DIR), size=SIZE, inline=True)
    started = time.monotonic()
    report = RunReport(seconds=0.0)
    pending, killed_jobs, waiting_for = list(plan), [], None
    workers.start(0)
    workers.start(1)
    try:
        while Job.objects.get(pk=demo.pk).status in ACTIVE_STATUSES:
            if time.monotonic() - started > timeout:
                raise AssertionError(f"the pipeline did not end within {timeout:.0f}s\n{_jobs_table()}\n{workers.logs()}")
            if waiting_for is not None:
                job = Job.objects.get(pk=waiting_for.job_id)
                if job.started and job.started > waiting_for.at_wall and job.status != JobStatus.QUEUED:
                    waiting_for.recovery_seconds = (job.started - waiting_for.at_wall).total_seconds()
                    waiting_for = None
            elif pending:
                waiting_for = _maybe_kill(pending, killed_jobs, workers, report)
            time.sleep(0.2)
        report.seconds = time.monotonic() - started
        if waiting_for is not None:  # the job ran again and ended between two looks
            job = Job.objects.get(pk=waiting_for.job_id)
            waiting_for.recovery_seconds = (job.started - waiting_for.at_wall).total_seconds()
    finally:
        workers.stop()
    report.missed.extend(pending)
    report.snapshot = snapshot(root, demo.pk)
    report.snapshot["_logs"] = workers.logs()
    return report


def _maybe_kill(pending, killed_jobs, workers, report) -> Kill | None:
    from cluster.models import Job

    point = pending[0]
    running = Job.objects.filter(status=JobStatus.RUNNING, waiting=False)
    # A later stage running means this point's stage has passed without a chance to kill.
    later = {STAGE_KINDS[s] for s in STAGE_ORDER[STAGE_ORDER.index(point.stage) + 1:]}
    if point.stage == "training" and Job.objects.filter(kind=point.kind, status=JobStatus.QUEUED).exists():
        # A killed training queued behind its siblings would wait a whole training for a worker:
        # the recovery bound is about a worker acting, so kill among the stage's last jobs.
        return None
    # A job may die twice (its next attempt always exists), never with its last attempt running.
    twice = [pk for pk in set(killed_jobs) if killed_jobs.count(pk) >= 2]
    for job in running.filter(kind=point.kind).exclude(pk__in=twice).order_by("pk"):
        if job.attempts >= job.max_attempts:
            continue
        fraction = job.progress_done / job.progress_total if job.progress_total else 0.0
        slot = workers.slot_of(job.process_group)
        if fraction >= point.fraction and slot is not None:
            at_wall = timezone.now()
            workers.kill(slot)
            kill = Kill(point, job.pk, slot, time.monotonic(), at_wall)
            workers.start(slot)
            pending.pop(0)
            killed_jobs.append(job.pk)
            report.kills.append(kill)
            return kill
    if running.filter(kind__in=later).exists() or Job.objects.filter(kind__in=later, status=JobStatus.SUCCEEDED).exists():
        report.missed.append(pending.pop(0))
    return None


def _jobs_table() -> str:
    from cluster.models import Job

    return "\n".join(f"#{j.pk} {j.kind} {j.status} attempts={j.attempts}/{j.max_attempts} waiting={j.waiting} {j.error[:200]}"
                     for j in Job.objects.order_by("pk"))


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
            "config_index", "regression_ids", "price_change_requirement", "min_sum_function", "min_sum_adjustment_factor",
            "profit", "accuracy", "positions", "largest_drawdown", "final_balance"),
        key=lambda row: row[0])
    leftovers = [str(p.relative_to(root)) for base in (root / "epochs", root / "candles") if base.exists()
                 for p in base.rglob("*") if _is_leftover(p.name)
                 or (p.is_file() and "regression_training_checkpoints" in p.parts)]
    return {
        "demo": {"status": demo.status, "error": demo.error, "result": demo.result},
        "epoch": epoch_id, "regressions": regressions, "models": models, "profitable": [list(r) for r in profitable],
        "jobs_not_succeeded": [(j.pk, j.kind, j.status, j.error[:300]) for j in Job.objects.exclude(status=JobStatus.SUCCEEDED)],
        "duplicate_jobs": _duplicate_jobs(), "leftovers": leftovers,
        # How many worker processes trained regressions (each run of a worker has its own group).
        "training_groups": len(set(Job.objects.filter(kind="regressions.train").values_list("process_group", flat=True))),
    }


def _is_leftover(name: str) -> bool:
    """Staging folders (``.staging-*`` of the candle store, ``.<EPOCH>.*`` of a creation) and temporary files."""
    return name.startswith((".staging", ".tmp", "tmp")) or name.endswith((".tmp", ".part", ".partial")) or (
        name.startswith(".") and "." in name[1:])


def _duplicate_jobs() -> list:
    from django.db.models import Count

    from cluster.models import Job

    return list(Job.objects.exclude(dedup_key="").values("kind", "dedup_key", "parent_id").annotate(n=Count("id"))
                .filter(n__gt=1).values_list("kind", "dedup_key", "parent_id", "n"))
