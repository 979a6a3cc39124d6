"""The whole pipeline on a small real epoch, stage by stage, ending with a verified Epoch File.

A few months of real candles, a 1-month epoch, the `smoke` grid, the top 8 regressions and 4
regressions per model (70 combinations x 6 = 420 configs). A demo shows the flow, not a
profitable strategy: it accepts every config in the search (accuracy >= 0, profit > -inf), so
that a model is always built and exported, whatever the tiny regressions learned.

The demo is a parent job; each stage is a child job (the training batches fan out again into
one job per regression) that the workers take, so two workers share the training and a killed
worker costs the demo only the job it was running. Between stages the demo job waits without
a worker; it keeps its place in its state, so a re-run after a crash continues where it was.
``manage.py demo`` runs the same tree in its own process (``run_tree_inline``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings

from cluster.choices import ACTIVE_STATUSES, JobStatus
from cluster.models import Job
from cluster.selectors import jobs_for_target
from cluster.services.jobs import job_adopt, job_enqueue, job_target_set
from core.errors import ApplicationError
from epochs.models import CandlestickSet, Epoch, EpochExport
from epochs.services.candles import candle_import_enqueue
from epochs.services.epochs import epoch_create
from epochs.services.paths import epoch_dir
from pipeline.services.export import epoch_export_enqueue
from pipeline.stages import STAGE_BY_KEY
from pipeline.stages import STAGE_KEYS as STAGES  # the demo runs every stage, in the registry's order
from prediction_models.models import PredictionModel, PredictionModelSearch
from prediction_models.services.build import models_build_enqueue
from prediction_models.services.search import search_find_enqueue, search_initialize, search_initialize_enqueue
from prediction_models.services.verdicts import model_verdict
from regressions.models import RegressionSelection
from regressions.services.grid import configs_generate_enqueue
from regressions.services.selection import selection_create
from regressions.services.training import batch_train_enqueue

if TYPE_CHECKING:
    from cluster.jobs.parent import ParentJob

DEMO_MONTHS = ("2021-01", "2021-03")
DEMO_SELECTION = 8
DEMO_PER_MODEL = 4
# Few training epochs: the 15 tiny regressions train in a couple of minutes on two cores.
DEMO_MAX_EPOCHS = 5
# Three months of tiny regressions hold few positions, often none: the demo counts a config
# whatever its positions (the default asks for 30), and its dashboard card says so.
DEMO_MIN_POSITIONS = 0
# The demo's size; a job may ask for a smaller pipeline through the same stages (tests).
DEMO_SIZE = {
    "months": list(DEMO_MONTHS),
    "profile": "smoke",
    "max_epochs": DEMO_MAX_EPOCHS,
    "selection": DEMO_SELECTION,
    "per_model": DEMO_PER_MODEL,
    "chunk_size": 200,
    "build_limit": 5,
    "selection_criteria": {},
}


def demo_epoch_id() -> str:
    n = 1
    while Epoch.objects.filter(pk=f"_DEMO{n}").exists() or epoch_dir(f"_DEMO{n}").exists():
        n += 1
    return f"_DEMO{n}"


def demo_enqueue(*, source: str | None = None, user=None, inline: bool = False, size: dict | None = None):
    unknown = set(size or {}) - set(DEMO_SIZE)
    if unknown:
        raise ApplicationError(f"unknown demo size setting(s): {', '.join(sorted(unknown))}")
    params = {"source": source or None, **({"size": size} if size else {})}
    return job_enqueue(kind="epoca_builder.demo", params=params, user=user, dedup_key="demo", inline=inline)


def _start(stage: str, state: dict, user, size: dict) -> list:
    """Create the stage's jobs (not queued: the demo adopts them as its children)."""
    epoch = Epoch.objects.get(pk=state["epoch"]) if stage not in ("candles", "epoch") else None
    search = PredictionModelSearch.objects.get(pk=state["search"]) if state.get("search") else None
    if stage == "candles":
        return [
            candle_import_enqueue(
                start_month=size["months"][0],
                end_month=size["months"][1],
                source=state["source"] or settings.CANDLESTICK_SOURCE,
                user=user,
                inline=True,
            )
        ]
    if stage == "epoch":
        existing = Epoch.objects.filter(pk=state["epoch"]).first()
        if existing is not None:  # created before a crash: its creation job is the one to follow
            return [jobs_for_target(existing).filter(kind="epochs.create").first()]
        _epoch, job = epoch_create(
            candlestick_set=CandlestickSet.objects.get(pk=state["candles"]),
            user=user,
            inline=True,
            id=state["epoch"],
            epoch_width=1,
            regression_grid_profile=size["profile"],
            max_epochs=size["max_epochs"],
            patience=2,
            batch_size=256,
            regressions_per_model=[size["per_model"]],
            min_accuracy=0.0,
            min_profit=-1e12,
            min_positions=DEMO_MIN_POSITIONS,
        )
        return [job]
    if stage == "configs":
        return [configs_generate_enqueue(epoch=epoch, user=user, inline=True)]
    if stage == "training":
        return [
            batch_train_enqueue(batch=batch, user=user, inline=True)
            for batch in epoch.batches.order_by("category", "number")
        ]
    if stage == "selection":
        selection = RegressionSelection.objects.filter(epoch=epoch, name="demo-top").first() or selection_create(
            epoch=epoch, name="demo-top", size=size["selection"], criteria=size["selection_criteria"], user=user
        )
        state["selection"] = selection.pk
        return []
    if stage == "assets":
        search = PredictionModelSearch.objects.filter(selection_id=state["selection"]).order_by("pk").first()
        if search is None:
            search, job = search_initialize(
                selection=RegressionSelection.objects.get(pk=state["selection"]),
                user=user,
                chunk_size=size["chunk_size"],
                inline=True,
            )
        else:
            job = search_initialize_enqueue(search=search, user=user, inline=True)
        state["search"] = search.pk
        return [job]
    if stage == "search":
        return [search_find_enqueue(search=search, user=user, inline=True)]
    if stage == "build":
        return [models_build_enqueue(search=search, limit=size["build_limit"], user=user, inline=True)]
    if stage == "export":
        return [
            epoch_export_enqueue(epoch=epoch, prediction_model_id=state["prediction_model"], user=user, inline=True)
        ]
    raise ValueError(stage)


def _summary(stage: str, state: dict, jobs: list) -> str:
    """What a finished stage produced, for the log; records what later stages need."""
    if stage == "candles":
        state["candles"] = jobs[0].target_id
        return f"{jobs[0].result.get('candles_total', 0):,} candles"
    if stage == "epoch":
        return f"epoch {state['epoch']}"
    if stage == "configs":
        return f"{Epoch.objects.get(pk=state['epoch']).regression_configs.count()} regression configs"
    if stage == "training":
        return "regressions trained"
    if stage == "selection":
        return f"selection #{state['selection']}"
    if stage == "assets":
        return f"{PredictionModelSearch.objects.get(pk=state['search']).total_configs} configs to search"
    if stage == "search":
        return f"{PredictionModelSearch.objects.get(pk=state['search']).profitable_found} configs kept"
    if stage == "build":
        state["prediction_model"] = (
            PredictionModel.objects.filter(search_id=state["search"]).order_by("rank").first().id
        )
        return f"best model {state['prediction_model']}"
    export = EpochExport.objects.filter(epoch_id=state["epoch"]).order_by("-created").first()
    state["export"] = export.pk
    return f"exported {export.file_name}"


def demo_step(parent: ParentJob):
    """One turn of the demo job: check the stage that ran, start the next, or finish."""
    state = {"stage": 0, "jobs": [], "source": parent.params.get("source"), **parent.state}
    if "epoch" not in state:
        state["epoch"] = demo_epoch_id()
        parent.save_state(**state)
    while state["stage"] < len(STAGES):
        stage = STAGES[state["stage"]]
        parent.stage(state["stage"] + 1, len(STAGES), STAGE_BY_KEY[stage].title)
        if not state["jobs"]:
            size = {**DEMO_SIZE, **(parent.params.get("size") or {})}
            jobs = [job_adopt(job=job, parent=parent.job) for job in _start(stage, state, parent.job.created_by, size)]
            state["jobs"] = [job.pk for job in jobs]
            parent.save_state(**state)
            parent.log(
                f"{stage}: {len(jobs)} job(s) {', '.join(f'#{j.pk}' for j in jobs)}" if jobs else f"{stage}: done here"
            )
        jobs = list(Job.objects.filter(pk__in=state["jobs"]).order_by("pk"))
        if any(job.status in ACTIVE_STATUSES for job in jobs):
            return parent.wait
        for job in jobs:
            if job.status != JobStatus.SUCCEEDED:
                raise ApplicationError(f"demo stopped at {stage}: job #{job.pk} {job.status}: {job.error}")
        message = _summary(stage, state, jobs)
        if stage == "epoch":  # the demo's job is about its epoch from now on (its page, the epoch filter)
            job_target_set(job=parent.job, target=Epoch.objects.get(pk=state["epoch"]))
        state.update(stage=state["stage"] + 1, jobs=[])
        parent.save_state(**state)
        parent.log(f"{stage}: {message}")

    export = EpochExport.objects.get(pk=state["export"])
    model = PredictionModel.objects.select_related("search").get(pk=state["prediction_model"])
    return {
        "epoch": state["epoch"],
        "prediction_model": state["prediction_model"],
        "epoch_file": export.file_path,
        "export": export.pk,
        "verified": export.verified,
        "sha256": export.sha256,
        # The verdict on the exported model comes last: what a demo's figures are worth.
        "min_positions": model.search.min_positions,
        "verdict": model_verdict(model),
    }


def verdict_lines(result: dict) -> list[str]:
    """The demo's verdict as text: each check, its value, its threshold, and whether it passes."""
    checks = result.get("verdict") or []
    passed = sum(1 for c in checks if c["passed"] is True)
    failed = sum(1 for c in checks if c["passed"] is False)
    lines = [
        f"Verdict on {result['prediction_model']}: {passed} of {len(checks)} checks pass, {failed} fail, "
        f"{len(checks) - passed - failed} not available."
    ]
    for c in checks:
        shown = "pass" if c["passed"] is True else "FAIL" if c["passed"] is False else "not available"
        value = "-" if c["value"] is None else f"{c['value']:.4g}" if isinstance(c["value"], float) else c["value"]
        lines.append(f"  {c['check']:<38} {shown:<14} value {value}, passes when {c['threshold']}")
    lines.append(
        f"The demo's search counted every config with at least {result.get('min_positions', DEMO_MIN_POSITIONS)} "
        "positions (30 by default): three months of tiny models prove nothing, whatever the verdict."
    )
    return lines
