"""The jobs page: filters by status and kind, finished time, duration, a parent's n / m children."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from cluster.models import Job

pytestmark = pytest.mark.django_db


def test_jobs_page_filters_and_shows_children_and_durations(admin_client):
    now = timezone.now()
    parent = Job.objects.create(kind="regressions.train_batch", status="running", started=now - timedelta(minutes=5))
    for status in ("succeeded", "succeeded", "running"):
        Job.objects.create(kind="regressions.train", status=status, parent=parent)
    Job.objects.create(kind="epochs.create", status="succeeded", started=now - timedelta(minutes=3), finished=now)
    response = admin_client.get("/jobs/")
    html = response.content.decode()
    assert "2 / 3" in html and "3 min 00 s" in html and re.search(r"5 min 0\d s so far", html)
    assert [j.kind for j in response.context["jobs"]] == ["epochs.create", "regressions.train_batch"]  # top level only
    only = admin_client.get("/jobs/?status=succeeded&kind=epochs.create").context["jobs"]
    assert [j.kind for j in only] == ["epochs.create"]
    assert list(admin_client.get("/jobs/?status=failed").context["jobs"]) == []
