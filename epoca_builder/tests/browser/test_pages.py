"""The pages in a real browser: login, the worker banner, live job progress, cancel, charts, forms."""

import re
import time
import zipfile

import pandas as pd
import pytest
from django.conf import settings
from playwright.sync_api import expect

from cluster.choices import JobStatus
from cluster.models import Job
from cluster.selectors import workers_alive
from cluster.services.jobs import job_enqueue
from epochs.models import Epoch
from testing.browser import (
    BROWSER_EPOCH_ID,
    BROWSER_USER,
    assert_charts_rendered,
    create_browser_user,
    log_in,
    screenshot,
    wait_for,
)

pytestmark = pytest.mark.browser

_BAR_STATE_JS = """() => ({
    width: document.querySelector('[data-field="bar"]').style.width,
    status: document.querySelector('[data-field="status"]').textContent.trim(),
})"""


def test_login_refuses_a_wrong_password_then_lets_the_user_in(page, django_user_model):
    create_browser_user(django_user_model)
    page.goto("/jobs/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/jobs/$"))
    screenshot(page, "login")
    log_in(page, BROWSER_USER[0], "not-the-password")
    expect(page.locator("p.error")).to_contain_text("didn't match")
    expect(page.locator("form.logout")).to_have_count(0)
    expect(page.locator('input[name="username"]')).to_have_value(BROWSER_USER[0])
    screenshot(page, "login-wrong-password")
    log_in(page, *BROWSER_USER)
    expect(page.locator("h1")).to_have_text("Dashboard")
    expect(page.locator("form.logout")).to_contain_text(BROWSER_USER[0])
    screenshot(page, "dashboard")


def test_no_worker_banner_shows_until_a_worker_runs(logged_in_page, request):
    page = logged_in_page
    # A worker stopped by an earlier test stays listed for a few seconds.
    wait_for(lambda: not workers_alive(), 10, "earlier workers' statistics to expire")
    page.goto("/")
    expect(page.locator("#no-worker-banner")).to_be_visible()
    expect(page.locator("#no-worker-banner")).to_contain_text("No worker is running")
    screenshot(page, "dashboard-no-worker")
    request.getfixturevalue("worker")
    page.reload()
    expect(page.locator("h1")).to_have_text("Dashboard")
    expect(page.locator("#no-worker-banner")).to_have_count(0)
    screenshot(page, "dashboard-worker-running")


def test_selfcheck_progress_updates_live_until_it_succeeds(logged_in_page, worker):
    page = logged_in_page
    page.goto("/jobs/")
    page.get_by_role("button", name="Run a worker self-check").click()
    row = page.locator("tr[data-job-id]")
    expect(row).to_have_count(1)  # the page reloads once the API has queued the job
    job_id = row.get_attribute("data-job-id")
    assert Job.objects.get(pk=job_id).kind == "cluster.selfcheck"
    screenshot(page, "jobs-selfcheck-queued")
    row.get_by_role("link", name=job_id).click()
    page.wait_for_url(f"**/jobs/{job_id}/")
    # Survives only if the page is never reloaded while we watch.
    page.evaluate("window.watchedWithoutReload = true")
    seen = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        state = page.evaluate(_BAR_STATE_JS)
        seen.append((state["status"], float(state["width"].rstrip("%"))))
        if state["status"] in ("succeeded", "failed", "cancelled"):
            break
        page.wait_for_timeout(100)
    assert seen[-1][0] == "succeeded", seen[-1]
    # The last paint may lag the status by one CSS transition; the style is set at once.
    assert seen[-1][1] == 100.0
    assert page.evaluate("window.watchedWithoutReload") is True
    partial = sorted({width for status, width in seen if status == "running" and 0 < width < 100})
    assert partial, f"no intermediate progress was shown: {seen}"
    expect(page.locator('[data-field="counts"]')).to_have_text("5 / 5")
    expect(page.locator('[data-field="log_tail"]')).to_contain_text("step 5 done")
    expect(page.locator('[data-field="heartbeat_at"]')).to_have_text(re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$"))
    page.wait_for_timeout(500)  # let the bar's width transition finish for the picture
    screenshot(page, "job-selfcheck-succeeded")


def test_cancel_button_stops_a_running_selfcheck(logged_in_page, worker):
    page = logged_in_page
    job = job_enqueue(kind="cluster.selfcheck", params={"steps": 30, "step_seconds": 0.5})
    page.goto(f"/jobs/{job.pk}/")
    status = page.locator('[data-field="status"]')
    expect(status).to_have_text("running", timeout=20_000)
    cancel = page.get_by_role("button", name="Cancel")
    retry = page.get_by_role("button", name="Retry")
    expect(cancel).to_be_visible()
    expect(retry).to_be_hidden()
    screenshot(page, "job-selfcheck-running")
    cancel.click()
    expect(status).to_have_text("cancelled", timeout=15_000)
    expect(cancel).to_be_hidden()
    expect(retry).to_be_visible()
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED
    assert job.progress_done < 30
    screenshot(page, "job-selfcheck-cancelled")


def _hours_with_candles(months: list[str]) -> int:
    """Distinct hours holding at least one 1-minute candle, read with plain pandas from the dumps."""
    folder = settings.BINANCE_MIRROR_DIR / "data/spot/monthly/klines/BTCUSDT/1m"
    hours = set()
    for month in months:
        with zipfile.ZipFile(folder / f"BTCUSDT-1m-{month}.zip") as archive:
            open_times = pd.read_csv(archive.open(archive.namelist()[0]), header=None, usecols=[0])[0]
        hours.update((open_times // 3_600_000).tolist())
    return len(hours)


def test_candles_and_epoch_pages_chart_real_data(logged_in_page, browser_epoch):
    page = logged_in_page
    page.goto("/epochs/candles/")
    expect(page.locator('[data-candle-set="binance-btcusdt"]')).to_be_visible()
    (candles,) = assert_charts_rendered(page)
    # Three months span too many 15-minute candles for one chart: it shows hourly ones.
    assert candles["points"] == [_hours_with_candles(["2021-01", "2021-02", "2021-03"])]
    screenshot(page, "candles")

    page.goto(f"/epochs/{BROWSER_EPOCH_ID}/")
    expect(page.locator("h1")).to_contain_text(BROWSER_EPOCH_ID)
    expect(page.locator("h1 .status")).to_have_text("ready")
    price, normalized = assert_charts_rendered(page, minimum=2)
    # Every 15-minute candle of the epoch is drawn: the close and its SMA, and the normalised SMA.
    assert price["points"] == [browser_epoch.prediction_rows] * 2
    assert normalized["points"] == [browser_epoch.prediction_rows]
    screenshot(page, "epoch-detail")

    page.goto("/epochs/")
    page.get_by_role("link", name=BROWSER_EPOCH_ID).click()
    page.wait_for_url(f"**/epochs/{BROWSER_EPOCH_ID}/")


def test_epoch_form_shows_a_bad_id_error_and_queues_a_good_epoch(logged_in_page, browser_candle_set):
    page = logged_in_page
    page.goto("/epochs/")
    form = page.locator('form[data-api-post="/api/epochs/"]')
    form.locator('input[name="epoch_width"]').fill("1")
    form.locator('input[name="id"]').fill("_A/B")
    form.get_by_role("button", name="Create").click()
    # The API's field error, readable, and the field marked.
    expect(page.locator(".api-error")).to_have_text(re.compile(r"^id: .*found '/'"))
    expect(form.locator('input[name="id"]')).to_have_class(re.compile(r"\binvalid\b"))
    assert page.url.endswith("/epochs/")
    assert not Epoch.objects.exists()
    screenshot(page, "epochs-bad-id")
    page.errors.clear()  # the browser logs the API's 400 answer

    form.locator('input[name="id"]').fill("_FROMFORM")
    form.get_by_role("button", name="Create").click()
    page.wait_for_url("**/jobs/*/")
    epoch = Epoch.objects.get(pk="_FROMFORM")
    assert epoch.epoch_width == 1 and epoch.candlestick_set == browser_candle_set
    job = Job.objects.get(pk=page.url.rstrip("/").rsplit("/", 1)[1])
    assert job.kind == "epochs.create" and job.params == {"epoch_id": "_FROMFORM"}
    expect(page.locator("h1")).to_contain_text("epochs.create")
    screenshot(page, "job-epoch-create-queued")


@pytest.mark.parametrize(
    ("path", "heading"),
    [
        ("/", "Dashboard"),
        ("/jobs/", "Jobs"),
        ("/epochs/", "Epochs"),
        ("/epochs/candles/", "Candlesticks"),
        ("/servers/", "Servers"),
        ("/regressions/", "Regressions"),
        ("/prediction-models/", "Prediction models"),
        ("/admin/", "Site administration"),
        ("/api/docs/", "Epoch Builder API"),
    ],
)
def test_every_page_opens_without_errors(logged_in_page, django_user_model, path, heading):
    page = logged_in_page
    django_user_model.objects.filter(username=BROWSER_USER[0]).update(is_staff=True, is_superuser=True)
    response = page.goto(path)
    assert response.ok, f"{path} answered {response.status}"
    assert page.url.endswith(path), f"{path} redirected to {page.url}"
    expect(page.get_by_role("heading", name=heading).first).to_be_visible()
    screenshot(page, f"page-{path.strip('/').replace('/', '-') or 'dashboard'}")
