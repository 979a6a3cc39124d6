"""Headless-browser fixtures: Debian's chromium driven by Playwright against pytest-django's live server.

The root conftest.py registers this module as a plugin, so any test may use them, for example::

    pytestmark = pytest.mark.browser

    def test_regression_page(logged_in_page, browser_epoch):
        logged_in_page.goto(f"/regressions/{browser_epoch.id}/")
        assert_charts_rendered(logged_in_page)
        screenshot(logged_in_page, "regressions")

Screenshots are full-page PNGs under ``test-output/screenshots/`` (git-ignored), so a person
can look at what the tests saw.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from accounts.roles import role_assign
from cluster.choices import JobStatus
from cluster.jobs.cli import run_inline
from cluster.selectors import workers_alive
from epochs.services.epochs import epoch_create
from epochs.services.paths import epoch_dir
from testing.candles import SMALL_RANGE, import_months

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(settings.BASE_DIR) / "test-output" / "screenshots"
BROWSER_USER = ("browser-user", "browser-pw-for-tests")
# Every `[data-chart]` element is a plotly plot holding at least one trace with points.
_CHART_STATE_JS = """() => [...document.querySelectorAll('[data-chart]')].map((el) => ({
    id: el.id,
    plotted: el.classList.contains('js-plotly-plot'),
    traces: (el.data || []).length,
    // calcdata: the points plotly computed from each trace (data arrays may arrive base64-packed).
    points: (el.calcdata || []).map((trace) => trace.length),
    height: el.getBoundingClientRect().height,
    // The axes the cartesian traces use, and whether each has a title (pies and parallel
    // coordinates have none to title).
    axes: [...new Set((el.data || []).filter((t) => !['pie', 'parcoords', 'table', 'indicator'].includes(t.type))
        .flatMap((t) => [(t.xaxis || 'x').replace('x', 'xaxis'), (t.yaxis || 'y').replace('y', 'yaxis')]))]
        .map((name) => [name, Boolean(((el._fullLayout || {})[name] || {}).title
            && ((el._fullLayout[name].title.text || '').trim()))]),
}))"""

__all__ = [
    "BROWSER_EPOCH_ID",
    "BROWSER_USER",
    "assert_charts_rendered",
    "browser",
    "browser_candle_set",
    "browser_epoch",
    "create_browser_user",
    "log_in",
    "logged_in_page",
    "page",
    "screenshot",
    "start_worker",
    "stop_worker",
    "wait_for",
    "worker",
]
BROWSER_EPOCH_ID = "_BROWSER"


def wait_for(predicate, timeout: float, what: str, interval: float = 0.2):
    """Poll ``predicate`` until it returns something truthy; fail naming ``what`` otherwise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def screenshot(page, name: str) -> Path:
    """A full-page PNG of ``page`` at ``test-output/screenshots/<name>.png``."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '-', name)}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def assert_charts_rendered(page, *, minimum: int = 1) -> list[dict]:
    """Every ``[data-chart]`` element on the page is a drawn plotly plot with data points.

    Fails when a chart is an empty div (plotly.js missing, a script error), has zero height,
    holds a trace without a single point, or lacks an axis title (every y axis, and at least
    one x axis: shared x axes title only the bottom one).
    Returns the charts' states (id, traces, points per trace, height).
    """
    page.wait_for_load_state("load")
    charts = page.evaluate(_CHART_STATE_JS)
    assert len(charts) >= minimum, f"expected at least {minimum} chart(s) on {page.url}, found {len(charts)}"
    for chart in charts:
        assert chart["plotted"], f"chart #{chart['id']} on {page.url} was not drawn by plotly"
        assert chart["traces"] > 0, f"chart #{chart['id']} on {page.url} has no traces"
        assert len(chart["points"]) == chart["traces"] and all(count > 0 for count in chart["points"]), (
            f"chart #{chart['id']} on {page.url} has a trace without points: {chart['points']}"
        )
        assert chart["height"] > 100, f"chart #{chart['id']} on {page.url} is {chart['height']}px high"
        # Shared x axes title only the bottom one: a chart needs one titled x axis, and every y.
        axes = dict(chart["axes"])
        untitled = [name for name, titled in axes.items() if name.startswith("yaxis") and not titled]
        assert not untitled, f"chart #{chart['id']} on {page.url} has y axes without a title: {untitled}"
        xs = [titled for name, titled in axes.items() if name.startswith("xaxis")]
        assert not xs or any(xs), f"chart #{chart['id']} on {page.url} has no x axis title"
    return charts


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium (Debian's build: Playwright downloads nothing) for the test session.

    Playwright's sync API keeps an asyncio loop marked running in this thread while it lives,
    and Django then refuses ORM calls here (SynchronousOnlyOperation). The tests' ORM calls
    are plain synchronous ones, so async safety is switched off while the browser lives. The
    root conftest runs the tests that use a browser last, so no other test (nor a process it
    starts: ``check --deploy`` rejects the switch) runs while it is off.
    """
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed: run the test command as root, or apt-get install chromium")
    from playwright.sync_api import sync_playwright  # why: Playwright is only installed where browser tests run

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def _console_error(message, errors: list[str]) -> None:
    # Browsers ask for /favicon.ico on pages that name no icon (the admin's): not an app error.
    if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
        errors.append(f"console error: {message.text} ({message.location.get('url', '')})")


@pytest.fixture
def page(browser, live_server):
    """A fresh browser context (no cookies) whose relative URLs go to the live server.

    Console errors and uncaught page errors fail the test at teardown.
    """
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1400, "height": 900})
    context.set_default_timeout(15_000)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
    tab.on("console", lambda msg: _console_error(msg, errors))
    tab.errors = errors
    yield tab
    context.close()
    # A failed API call the test provoked on purpose logs a console error: tests that expect
    # one clear ``page.errors`` themselves.
    assert not errors, "the browser reported errors:\n" + "\n".join(errors)


def log_in(page, username: str, password: str) -> None:
    """Fill and submit the real login form."""
    page.goto("/login/")
    page.fill('input[name="username"]', username)
    page.fill('input[name="password"]', password)
    page.click('form button[type="submit"]')
    page.wait_for_load_state("load")


def create_browser_user(django_user_model, role: str = "operator"):
    """The browser's account, with one role (operator: it runs the pipeline)."""
    return role_assign(django_user_model.objects.create_user(username=BROWSER_USER[0], password=BROWSER_USER[1]), role)


@pytest.fixture
def logged_in_page(page, django_user_model):
    """``page``, logged in as a new operator through the /login/ form (lands on the dashboard)."""
    create_browser_user(django_user_model)
    log_in(page, *BROWSER_USER)
    assert page.locator("form.logout").count(), f"login failed, still at {page.url}"
    return page


def start_worker(log: Path) -> subprocess.Popen:
    """``manage.py qcluster`` against the test database, in its own process group."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "epoca_builder.test_settings",
        "DATABASE_URL": f"sqlite:///{connection.settings_dict['NAME']}",
        "WORKER_PROCESSES": "1",
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"],
        cwd=settings.BASE_DIR,
        env=env,
        start_new_session=True,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


def stop_worker(process: subprocess.Popen) -> None:
    """Stop the worker's whole process group: politely, then for good."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGINT)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@pytest.fixture
def worker(transactional_db, tmp_path):
    """A real django-q2 worker on the test database, reported alive; stopped at teardown.

    It depends on ``transactional_db`` so it stops before the database is flushed. Yields the
    ``subprocess.Popen``; its log is ``<tmp_path>/worker.log``.
    """
    log = tmp_path / "worker.log"
    process = start_worker(log)
    try:
        try:
            wait_for(lambda: workers_alive() or process.poll() is not None, 60, "the worker to report in")
        except AssertionError as exc:
            raise AssertionError(f"{exc}; its log:\n{log.read_text()}") from None
        assert process.poll() is None, "the worker exited; its log:\n" + log.read_text()
        yield process
    finally:
        stop_worker(process)


@pytest.fixture
def browser_candle_set(transactional_db):
    """The real months 2021-01..2021-03 imported from the Binance mirror (the store on disk is
    reused by later imports in the run; the row is per test). Yields the ``CandlestickSet``."""
    if not settings.BINANCE_MIRROR_DIR.exists():
        pytest.skip(f"real candles not found at {settings.BINANCE_MIRROR_DIR} (set BINANCE_MIRROR_DIR)")
    return import_months(*SMALL_RANGE)[0]


@pytest.fixture
def browser_epoch(browser_candle_set):
    """A ready 1-month epoch ``_BROWSER`` (15-minute candles) built on ``browser_candle_set``."""
    # A previous test's folder outlives its flushed row.
    shutil.rmtree(epoch_dir(BROWSER_EPOCH_ID), ignore_errors=True)
    epoch, job = epoch_create(candlestick_set=browser_candle_set, id=BROWSER_EPOCH_ID, epoch_width=1, inline=True)
    job = run_inline(job)
    assert job.status == JobStatus.SUCCEEDED, job.error
    epoch.refresh_from_db()
    return epoch
