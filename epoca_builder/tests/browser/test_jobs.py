"""Following jobs in a real browser: the jobs page filtered by status, kind and epoch; a staged
parent with its children; a finished job's result and what it made. Rows made with the ORM."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from cluster.choices import JobStatus
from cluster.models import Job
from epochs.choices import EpochStatus
from epochs.models import CandlestickSet, Epoch
from pipeline.stages import STAGES
from testing.browser import assert_charts_rendered, screenshot

pytestmark = pytest.mark.browser

ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def _epoch(epoch_id: str) -> Epoch:
    candles, _ = CandlestickSet.objects.get_or_create(name="jobs-browser")
    return Epoch.objects.create(id=epoch_id, candlestick_set=candles, status=EpochStatus.READY)


def _job(kind: str, status: str, target=None, **fields) -> Job:
    job = Job(kind=kind, status=status, **fields)
    job.set_target(target)
    job.save()
    return job


@pytest.fixture
def followed_jobs(transactional_db):
    mine, other = _epoch("_JOBSA"), _epoch("_JOBSB")
    now = timezone.now()
    demo = _job(
        "epoca_builder.demo",
        JobStatus.RUNNING,
        mine,
        waiting=True,
        started=now - timedelta(minutes=12),
        stage_number=4,
        stage_count=len(STAGES),
        stage_name=STAGES[3].title,
        progress_done=40,
        progress_total=100,
        params={"source": "binance", "size": {"months": ["2021-01", "2021-03"], "selection": 8}},
    )
    children = [
        _job("epochs.create", JobStatus.SUCCEEDED, mine, parent=demo, params={"epoch_id": mine.id}),
        _job("regressions.generate_configs", JobStatus.SUCCEEDED, mine, parent=demo),
        _job("regressions.train_batch", JobStatus.RUNNING, mine, parent=demo, progress_done=3, progress_total=8),
        _job("regressions.train_batch", JobStatus.QUEUED, mine, parent=demo),
    ]
    export = _job(
        "epochs.export",
        JobStatus.SUCCEEDED,
        mine,
        started=now - timedelta(minutes=3),
        finished=now - timedelta(minutes=1),
        params={"epoch_id": mine.id, "prediction_model_id": "_JOBSA-M1"},
        result={
            "epoch": mine.id,
            "export": 1,
            "file": "_JOBSA.zip",
            "bytes": 183_500,
            "prediction_model_id": "_JOBSA-M1",
            "regression_ids": ["r1", "r2", "r3", "r4"],
            "verification": {"features_compared": 2880, "raw_outputs_compared": 12, "notes": []},
        },
    )
    failed = _job("epochs.create", JobStatus.FAILED, other, params={"epoch_id": other.id}, error="no candles")
    selfcheck = _job("cluster.selfcheck", JobStatus.SUCCEEDED)
    return {"demo": demo, "children": children, "export": export, "failed": failed, "selfcheck": selfcheck}


def _listed(page) -> set[int]:
    return {int(pk) for pk in page.locator("tr[data-job-id]").evaluate_all("rows => rows.map(r => r.dataset.jobId)")}


def test_the_jobs_page_filters_by_status_kind_and_epoch(logged_in_page, followed_jobs):
    page, jobs = logged_in_page, followed_jobs
    page.goto("/jobs/")
    top_level = {jobs[name].pk for name in ("demo", "export", "failed", "selfcheck")}
    assert _listed(page) == top_level
    demo_row = page.locator(f'tr[data-job-id="{jobs["demo"].pk}"]')
    expect(demo_row.locator('[data-field="stage"]')).to_have_text(f"stage 4 / 9: {STAGES[3].title}")
    expect(demo_row.locator('[data-field="children"]')).to_have_text("2 / 4")
    expect(demo_row.locator('[data-field="eta"]')).to_have_text(ISO_UTC)
    expect(demo_row.get_by_role("link", name="_JOBSA")).to_have_attribute("href", "/epochs/_JOBSA/")
    assert_charts_rendered(page, minimum=0)
    screenshot(page, "jobs-all")

    page.locator('#job-filters input[name="status"][value="running"]').check()
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**/jobs/?status=running*")
    assert _listed(page) == {jobs["demo"].pk}
    screenshot(page, "jobs-by-status")

    page.locator('#job-filters input[name="status"][value="running"]').uncheck()
    page.locator('#job-filters select[name="kind"]').select_option("epochs.export")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**kind=epochs.export*")
    assert _listed(page) == {jobs["export"].pk}
    screenshot(page, "jobs-by-kind")

    page.locator('#job-filters select[name="kind"]').select_option("")
    page.locator('#job-filters input[name="epoch"]').fill("_JOBSB")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**epoch=_JOBSB*")
    assert _listed(page) == {jobs["failed"].pk}
    page.locator('#job-filters input[name="epoch"]').fill("_JOBSA")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**epoch=_JOBSA*")
    assert _listed(page) == {jobs["demo"].pk, jobs["export"].pk}
    screenshot(page, "jobs-by-epoch")


def test_a_parent_shows_its_stage_children_eta_and_target(logged_in_page, followed_jobs):
    page, demo = logged_in_page, followed_jobs["demo"]
    page.goto(f"/jobs/{demo.pk}/")
    expect(page.locator("#job-stage")).to_have_text(f"stage 4 / 9: {STAGES[3].title}")
    expect(page.locator("#job-children")).to_contain_text("2 / 4 ended")
    expect(page.locator("#job-eta")).to_have_text(ISO_UTC)
    # Its bar counts stages: 3 of 9 done and 40 % of the fourth.
    expect(page.locator('[data-field="percent"]')).to_have_text("37.8")
    expect(page.locator('[data-field="counts"]')).to_have_count(0)
    expect(page.locator("#job-target").get_by_role("link", name="_JOBSA")).to_have_attribute("href", "/epochs/_JOBSA/")
    for child in followed_jobs["children"]:
        expect(page.locator("#children").get_by_role("link", name=str(child.pk), exact=True)).to_have_attribute(
            "href", f"/jobs/{child.pk}/"
        )
    expect(page.locator("#job-params")).to_contain_text("2021-01, 2021-03")
    assert "{'" not in page.locator("main").inner_text()
    assert_charts_rendered(page, minimum=0)
    screenshot(page, "job-parent-with-children")
    page.locator("#children").get_by_role("link", name=str(followed_jobs["children"][2].pk), exact=True).click()
    expect(page.locator("h1")).to_contain_text("regressions.train_batch")
    expect(page.get_by_role("link", name=f"#{demo.pk}")).to_be_visible()


def test_a_finished_job_shows_its_result_as_a_table_and_links_to_what_it_made(logged_in_page, followed_jobs):
    page = logged_in_page
    page.goto(f"/jobs/{followed_jobs['export'].pk}/")
    made = page.locator("#job-made")
    expect(made.get_by_role("link", name="Epoch _JOBSA")).to_have_attribute("href", "/epochs/_JOBSA/")
    expect(made.get_by_role("link", name="Prediction model _JOBSA-M1")).to_have_attribute(
        "href", "/prediction-models/models/_JOBSA-M1/"
    )
    expect(made.get_by_role("link", name="Download the Epoch File")).to_have_attribute(
        "href", "/epochs/_JOBSA/download/"
    )
    result = page.locator("#job-result")
    expect(result.locator("th", has_text="features_compared")).to_be_visible()
    expect(result).to_contain_text("r1, r2, r3, r4")
    text = page.locator("main").inner_text()
    assert "{'" not in text and "['" not in text
    assert_charts_rendered(page, minimum=0)
    screenshot(page, "job-finished-result")


def test_a_parents_stage_and_children_appear_live_as_it_reaches_them(logged_in_page, transactional_db):
    page = logged_in_page
    demo = _job("epoca_builder.demo", JobStatus.RUNNING, started=timezone.now())
    page.goto(f"/jobs/{demo.pk}/")
    expect(page.locator("#job-stage")).to_be_hidden()
    expect(page.locator("#job-children")).to_be_hidden()
    Job.objects.filter(pk=demo.pk).update(stage_number=1, stage_count=len(STAGES), stage_name=STAGES[0].title)
    _job("epochs.import_candles", JobStatus.RUNNING, parent=demo, progress_done=1, progress_total=3)
    expect(page.locator("#job-stage")).to_have_text(f"stage 1 / 9: {STAGES[0].title}")
    expect(page.locator("#job-children")).to_contain_text("0 / 1 ended")
    screenshot(page, "job-parent-live-stage")
