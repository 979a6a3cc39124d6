"""The whole pipeline of one epoch at a glance: each stage's state, its job and the next action.

A read-only view across the apps (it writes nothing): the epoch page and the dashboard show it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.urls import reverse

from cluster.choices import ACTIVE_STATUSES
from cluster.models import Job
from pipeline.stages import (
    ACTIVE,
    DONE,
    FAILED,
    FAILED_JOB_STATUSES,
    STAGES,
    TODO,
    Facts,
    StageSpec,
)


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


def _state_of(job: Job | None, done: bool, job_states: tuple[str, ...] = (ACTIVE, FAILED)) -> str:
    if done:
        return DONE
    if job is None:
        return TODO
    if job.status in ACTIVE_STATUSES:
        return ACTIVE if ACTIVE in job_states else TODO
    if job.status in FAILED_JOB_STATUSES:
        return FAILED if FAILED in job_states else TODO
    return TODO


def _url(name: str, kwargs: dict, query: dict | None = None) -> str:
    return reverse(name, kwargs=kwargs) + (f"?{urlencode(query)}" if query else "")


def stage_of(spec: StageSpec, facts: Facts) -> Stage:
    """One stage's state, detail, latest job, page and next action, as its declaration says."""
    job = _latest_job(spec.job_kind, spec.job_targets(facts)) if spec.job_kind else None
    state = FAILED if spec.failed(facts) else _state_of(job, spec.done(facts), spec.job_states)
    link = spec.link(facts)
    stage = Stage(spec.key, spec.title, state, spec.detail(facts), job, link=_url(*link) if link else "")
    if spec.action is not None and spec.action.available(facts, job):
        body = spec.action.body(facts)
        stage.action = {
            "label": spec.action.label.format(**body),
            "url": _url(spec.action.url_name, spec.action.kwargs(facts)),
            "body": body,
        }
    return stage


def epoch_pipeline(epoch) -> list[Stage]:
    """Every stage of ``epoch``, in the registry's order (pipeline.stages.STAGES)."""
    facts = Facts(epoch)
    return [stage_of(spec, facts) for spec in STAGES]


def with_action_bodies(stages: list[Stage]) -> list[Stage]:
    """The action bodies as JSON for the page's buttons."""
    for stage in stages:
        if stage.action:
            stage.action["body_json"] = json.dumps(stage.action.get("body", {}))
    return stages


def next_stage(stages: list[Stage]) -> Stage | None:
    return next((s for s in stages if s.state != DONE), None)
