"""What a job is about, as the apps above the cluster register it: the page of its target, the
pages of what it made, and which of its targets belong to an epoch (the jobs' epoch filter).

Everything is built from the job's own fields (``target_type``, ``target_id``, ``result``), so a
list of jobs reads nothing more to link them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db.models import CharField, Model, Q, QuerySet
from django.db.models.functions import Cast

from cluster.choices import JobStatus

_TARGET_PAGES: dict[str, Callable[[str], str]] = {}
_EPOCH_TARGETS: dict[type[Model], Callable[[str], QuerySet]] = {}


@dataclass(frozen=True)
class ResultLink:
    key: str  # the key of a job's result that names what it made
    label: str  # "{}" stands for the key's value
    url: Callable[[object, dict], str | None]  # from the key's value and the whole result


_RESULT_LINKS: list[ResultLink] = []


def _label(model: type[Model]) -> str:
    return model._meta.label_lower


def target_page_register(model: type[Model], url: Callable[[str], str]) -> None:
    """The page of a job whose target is a ``model`` row, from its ``target_id``."""
    _TARGET_PAGES[_label(model)] = url


def result_link_register(key: str, label: str, url: Callable[[object, dict], str | None]) -> None:
    """A succeeded job whose result holds ``key`` links ``label`` to ``url(result[key], result)``
    (each item's, when the value is a list; none where ``url`` gives None)."""
    _RESULT_LINKS.append(ResultLink(key, label, url))


def epoch_targets_register(model: type[Model], rows: Callable[[str], QuerySet]) -> None:
    """Jobs targeting one of ``rows(epoch_id)`` (rows of ``model``) belong to that epoch."""
    _EPOCH_TARGETS[model] = rows


def target_url(job) -> str | None:
    if not job.target_type_id or not job.target_id:
        return None
    url = _TARGET_PAGES.get(f"{job.target_type.app_label}.{job.target_type.model}")
    return url(job.target_id) if url else None


def result_links(job) -> list[dict]:
    """``[{"label", "url"}]`` of what a succeeded job made (an epoch, a model, an Epoch File)."""
    if job.status != JobStatus.SUCCEEDED or not isinstance(job.result, dict):
        return []
    links = []
    for link in _RESULT_LINKS:
        values = job.result.get(link.key)
        for value in values if isinstance(values, list) else [values]:
            url = link.url(value, job.result) if value not in (None, "") else None
            if url:
                links.append({"label": link.label.replace("{}", str(value)), "url": url})
    return links


def epoch_jobs(epoch_id: str) -> Q:
    """Jobs of one epoch: those naming it in their settings, and those whose target belongs to it."""
    scope = Q(params__epoch=epoch_id) | Q(params__epoch_id=epoch_id)
    for model, rows in _EPOCH_TARGETS.items():
        keys = rows(epoch_id).annotate(job_target_key=Cast("pk", output_field=CharField())).values("job_target_key")
        scope |= Q(target_type=ContentType.objects.get_for_model(model), target_id__in=keys)
    return scope
