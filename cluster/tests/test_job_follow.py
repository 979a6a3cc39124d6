"""Following a job: a staged parent's stage, its children's n / m, an ETA, its target's page,
what it made, its result and settings as tables; in the pages and in the API."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cluster.choices import JobStatus
from cluster.jobs.runner import execute
from cluster.models import Job, Server
from testing import job_handlers  # noqa: F401  (registers tests.staged)

pytestmark = pytest.mark.django_db


def _running(**fields) -> Job:
    return Job.objects.create(**{"kind": "cluster.selfcheck", "status": JobStatus.RUNNING, **fields})


def test_the_eta_goes_by_the_pace_so_far_and_is_none_when_unknown():
    now = timezone.now()
    quarter = _running(started=now - timedelta(minutes=10), progress_done=25, progress_total=100)
    assert abs((quarter.eta - now) - timedelta(minutes=30)) < timedelta(seconds=5)
    # A staged parent: 2 stages of 4 done and half of the third, 10 minutes in: 5.7 minutes to go.
    staged = _running(
        started=now - timedelta(minutes=10), stage_number=3, stage_count=4, progress_done=1, progress_total=2
    )
    assert staged.fraction == pytest.approx(2.5 / 4) and staged.percent == 62.5
    assert abs((staged.eta - now) - timedelta(minutes=6)) < timedelta(seconds=5)
    assert _running(started=now, progress_total=100).eta is None  # nothing done: no pace yet
    assert _running(started=now).eta is None  # nothing told
    assert Job.objects.create(kind="x", status=JobStatus.QUEUED, progress_done=1, progress_total=2).eta is None
    done = Job.objects.create(kind="x", status=JobStatus.SUCCEEDED, started=now, progress_done=2, progress_total=2)
    assert done.eta is None


def test_a_staged_parent_records_each_stage_and_keeps_its_first_start():
    parent = Job.objects.create(kind="tests.staged", claim_token="1" * 32)
    execute(parent.pk, str(parent.claim_token))
    parent.refresh_from_db()
    first_start = parent.started
    assert (parent.stage_number, parent.stage_count, parent.stage_name) == (1, 2, "Fan out")
    assert parent.stage == "stage 1 / 2: Fan out" and parent.waiting
    for child in parent.children.all():
        execute(child.pk, str(child.claim_token))
    parent.refresh_from_db()
    assert parent.status == JobStatus.QUEUED  # woken by its last child
    execute(parent.pk, str(parent.claim_token))
    parent.refresh_from_db()
    assert parent.status == JobStatus.SUCCEEDED and parent.stage == "stage 2 / 2: Sum up"
    assert parent.started == first_start  # its duration is the whole run's, not its last turn's
    assert "T" in parent.log_tail.split(" ", 1)[0] and parent.log_tail.split(" ", 1)[0].endswith("Z")


def test_an_attempt_after_a_lost_worker_starts_the_clock_again():
    from cluster.services.jobs import job_requeue

    long_ago = timezone.now() - timedelta(hours=1)
    job = _running(started=long_ago, claim_token="2" * 32)
    assert job_requeue(job=job, reason="worker lost")
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED and job.started is None
    execute(job.pk, str(job.claim_token))
    job.refresh_from_db()
    assert job.started > long_ago + timedelta(minutes=59)  # this attempt's start, not the first's


def _parent_with_children(server: Server) -> Job:
    now = timezone.now()
    parent = _running(
        kind="tests.staged",
        started=now - timedelta(minutes=20),
        stage_number=2,
        stage_count=2,
        stage_name="Sum up",
        progress_done=3,
        progress_total=6,
        params={"source": "binance", "size": {"months": ["2021-01", "2021-03"], "selection": 8}},
    )
    parent.set_target(server)
    parent.save()
    for status in (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.RUNNING, JobStatus.QUEUED):
        Job.objects.create(kind="cluster.selfcheck", status=status, parent=parent)
    return parent


def test_the_job_page_shows_stage_children_eta_target_and_tables(admin_client):
    server = Server.objects.create(name="gpu-1", host="10.0.0.7")
    parent = _parent_with_children(server)
    html = admin_client.get(f"/jobs/{parent.pk}/").content.decode()
    stage = re.search(r'<dd id="job-stage"([^>]*)>([^<]*)<', html)
    assert stage[2] == "stage 2 / 2: Sum up" and "hidden" not in stage[1]
    assert 'data-field="children">2 / 4</a>' in html
    assert f'<a href="/servers/{server.pk}/">gpu-1</a>' in html
    eta = parent.eta.strftime("%Y-%m-%dT%H:%M")
    assert f'id="job-eta" data-field="eta">{eta}' in html
    for child in parent.children.all():
        assert f'href="/jobs/{child.pk}/"' in html
    settings = html[html.index('id="job-params"') :]
    assert "<th>source</th><td>binance</td>" in settings and "<td>2021-01, 2021-03</td>" in settings
    assert "{'" not in html and "&#x27;" not in html
    listed = admin_client.get("/jobs/").content.decode()
    assert 'data-field="children">2 / 4</a>' in listed and "stage 2 / 2: Sum up" in listed
    assert f'<a href="/servers/{server.pk}/">gpu-1</a>' in listed


def test_a_finished_job_links_to_what_it_made_and_shows_its_result_as_a_table(admin_client):
    job = Job.objects.create(
        kind="epoca_builder.demo",
        status=JobStatus.SUCCEEDED,
        result={"epoch": "_DEMO3", "prediction_model": "_DEMO3-7", "export": 4, "verified": True, "sha256": "ab"},
    )
    html = admin_client.get(f"/jobs/{job.pk}/").content.decode()
    made = html[html.index('id="job-made"') :]
    assert '<a href="/epochs/_DEMO3/">Epoch _DEMO3</a>' in made
    assert '<a href="/prediction-models/models/_DEMO3-7/">Prediction model _DEMO3-7</a>' in made
    assert '<a href="/epochs/_DEMO3/download/">Download the Epoch File</a>' in made
    assert "<th>verified</th><td>yes</td>" in html[html.index('id="job-result"') :]


def test_the_api_carries_stage_eta_children_and_links_with_a_fixed_number_of_queries(api_client):
    server = Server.objects.create(name="gpu-2", host="10.0.0.8")
    for _ in range(15):
        _parent_with_children(server)
    Job.objects.create(kind="epoca_builder.demo", status=JobStatus.SUCCEEDED, result={"epoch": "_DEMO1"})
    counts = []
    for size in (2, 30):
        with CaptureQueriesContext(connection) as queries:
            rows = api_client.get(f"/api/jobs/?top_level=true&page_size={size}").json()["results"]
        counts.append(len(queries))
        assert len(rows) == min(size, 16)
    assert counts[0] == counts[1], counts
    demo, parent = rows[0], rows[1]
    assert demo["result_links"] == [{"label": "Epoch _DEMO1", "url": "/epochs/_DEMO1/"}] and demo["eta"] is None
    assert parent["stage"] == "stage 2 / 2: Sum up" and (parent["stage_number"], parent["stage_count"]) == (2, 2)
    assert parent["stage_name"] == "Sum up" and (parent["children_done"], parent["children_count"]) == (2, 4)
    assert parent["target_url"] == f"/servers/{server.pk}/"
    assert parent["eta"].endswith("Z") and parent["eta"] > timezone.now().isoformat()[:19]
    detail = api_client.get(f"/api/jobs/{parent['id']}/").json()
    assert detail["eta"] and detail["target_url"] == parent["target_url"] and detail["children_done"] == 2
