"""The whole pipeline of one epoch at a glance: each stage's state, its job and the next action.

A read-only view across the apps (it writes nothing): the epoch page and the dashboard show it.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q

from cluster.models import Job
from core.files import human_size
from epochs.models import EpochExport
from prediction_models.models import PredictionModel, PredictionModelSearch
from regressions.models import Regression, RegressionSelection

DONE, ACTIVE, TODO, FAILED = "done", "active", "todo", "failed"


@dataclass
class Stage:
    key: str
    title: str
    state: str = TODO
    detail: str = ""
    job: Job | None = None
    link: str = ""
    action: dict | None = None  # {"label", "url", "body"}: a POST to the API
    extra: dict = field(default_factory=dict)


def _latest_job(kind: str, targets) -> Job | None:
    targets = [t for t in targets if t is not None]
    if not targets:
        return None
    by_type: dict = {}
    for target in targets:
        by_type.setdefault(ContentType.objects.get_for_model(target), []).append(str(target.pk))

    query = Q()
    for content_type, ids in by_type.items():
        query |= Q(target_type=content_type, target_id__in=ids)
    return Job.objects.filter(query, kind=kind, parent__isnull=True).order_by("-created").first()


def _state_of(job: Job | None, done: bool) -> str:
    if done:
        return DONE
    if job is None:
        return TODO
    return {"queued": ACTIVE, "running": ACTIVE, "failed": FAILED, "cancelled": FAILED}.get(job.status, TODO)


def epoch_pipeline(epoch) -> list[Stage]:
    stages: list[Stage] = []
    candle_set = epoch.candlestick_set
    stages.append(Stage("candles", "Candles", DONE if candle_set.candles else TODO,
                        f"{candle_set.candles:,} candles in {candle_set.months} months, {candle_set.gap_count} gaps",
                        _latest_job("epochs.import_candles", [candle_set]), link="/epochs/candles/"))
    job = _latest_job("epochs.create", [epoch])
    ready = epoch.status in ("ready", "exported")
    if epoch.status == "failed":  # the real reason, not a count of candles that were never built
        detail = f"failed: {epoch.error or 'see its job'}"
    else:
        detail = f"{epoch.status}: {epoch.prediction_rows or 0} prediction candles of {epoch.prediction_interval} minutes"
        if epoch.gaps:
            detail += f", {epoch.gaps.get('count', 0)} gaps ({epoch.gaps.get('missing_minutes', 0)} minutes)"
    stages.append(Stage("epoch", "Epoch", FAILED if epoch.status == "failed" else _state_of(job, ready), detail, job))

    batches = list(epoch.batches.all())
    job = _latest_job("regressions.generate_configs", [epoch])
    configs = epoch.regression_configs.count()
    stage = Stage("configs", "Regression configs", _state_of(job, bool(batches)),
                  f"{configs} configs in {len(batches)} batches (profile {epoch.regression_grid_profile})", job,
                  link=f"/regressions/?epoch={epoch.pk}")
    if ready and not batches and stage.state != ACTIVE:
        stage.action = {"label": "Generate configs", "url": f"/api/regression-batches/generate/{epoch.pk}/", "body": {}}
    stages.append(stage)

    regressions = Regression.objects.filter(epoch=epoch)
    trained = regressions.filter(status="trained").count()
    total = regressions.count()
    job = _latest_job("regressions.train_batch", batches)
    running = job is not None and job.status in ("queued", "running")
    stage = Stage("training", "Training", DONE if total and trained == total else (ACTIVE if running else TODO),
                  f"{trained} of {total} regressions trained", job, link=f"/regressions/?epoch={epoch.pk}")
    if batches and trained < total and not running:
        stage.action = {"label": "Train all batches", "url": f"/api/regression-batches/train-all/{epoch.pk}/", "body": {}}
    stages.append(stage)

    selection = RegressionSelection.objects.filter(epoch=epoch).order_by("-created").first()
    per_model = max(epoch.regressions_per_model or [8])
    stage = Stage("selection", "Selection", DONE if selection else TODO,
                  f"“{selection.name}”: {selection.size} regressions" if selection else "no selection yet",
                  link=f"/regressions/selections/{selection.pk}/" if selection else "")
    if not selection and trained >= per_model:
        size = min(20, trained)
        stage.action = {"label": f"Select the top {size}", "url": "/api/regression-selections/",
                        "body": {"epoch": epoch.pk, "name": f"top-{size}", "size": size}}
    stages.append(stage)

    search = PredictionModelSearch.objects.filter(epoch=epoch).order_by("-created").first()
    job = _latest_job("prediction_models.initialize", [search]) if search else None
    assets_ready = bool(search and search.status not in ("new", "initialising", "failed"))
    stage = Stage("assets", "Prediction-model assets", _state_of(job, assets_ready),
                  f"search #{search.pk}: {search.total_configs:,} configs" if search else "not initialised", job,
                  link=f"/prediction-models/searches/{search.pk}/" if search else "")
    if selection and not search:
        stage.action = {"label": "Initialise", "url": "/api/prediction-model-searches/", "body": {"selection": selection.pk}}
    stages.append(stage)

    job = _latest_job("prediction_models.find", [search]) if search else None
    searched = bool(search and search.status in ("searched", "built"))
    stage = Stage("search", "Profitable search", _state_of(job, searched),
                  f"{search.configs_evaluated:,} evaluated, {search.profitable_found:,} profitable" if search else "", job,
                  link=f"/prediction-models/searches/{search.pk}/" if search else "")
    if assets_ready and not searched and not (job and job.status in ("queued", "running")):
        stage.action = {"label": "Find profitable configs", "url": f"/api/prediction-model-searches/{search.pk}/find/", "body": {}}
    stages.append(stage)

    models = PredictionModel.objects.filter(search__epoch=epoch).order_by("rank")
    best = models.first()
    job = _latest_job("prediction_models.build", [search]) if search else None
    stage = Stage("build", "Build", _state_of(job, best is not None),
                  f"{models.count()} models; best {best.id} (profit {best.profit:.2f})" if best else "no models yet", job,
                  link=f"/prediction-models/models/{best.pk}/" if best else "")
    if searched and best is None and search.profitable_found:
        stage.action = {"label": "Build prediction models", "url": f"/api/prediction-model-searches/{search.pk}/build/",
                        "body": {"limit": 10}}
    stages.append(stage)

    export = EpochExport.objects.filter(epoch=epoch).order_by("-created").first()
    job = _latest_job("epochs.export", [epoch])
    stage = Stage("export", "Epoch File", _state_of(job, export is not None and export.verified),
                  f"{export.file_name} ({human_size(export.size)}), verified" if export and export.verified else "not exported",
                  job, link=f"/epochs/{epoch.pk}/download/" if export else "")
    if best is not None and export is None and not (job and job.status in ("queued", "running")):
        stage.action = {"label": "Export the best model", "url": f"/api/epochs/{epoch.pk}/export/",
                        "body": {"prediction_model_id": best.id, "confirm_interval": epoch.prediction_interval != 15}}
    stages.append(stage)
    return stages


def with_action_bodies(stages: list[Stage]) -> list[Stage]:
    """The action bodies as JSON for the page's buttons."""
    for stage in stages:
        if stage.action:
            stage.action["body_json"] = json.dumps(stage.action.get("body", {}))
    return stages


def next_stage(stages: list[Stage]) -> Stage | None:
    return next((s for s in stages if s.state != DONE), None)
