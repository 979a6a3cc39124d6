"""Every number readable, in a real browser: the API root's links, the admin's rounded floats,
the epoch pages' ISO 8601 times."""

import re

import pytest
from playwright.sync_api import expect

from core.numbers import readable
from core.times import iso_utc
from epochs.models import CandlestickSet, Epoch
from regressions.models import Regression
from testing.browser import BROWSER_EPOCH_ID, assert_charts_rendered, log_in, screenshot
from testing.regression_fakes import fake_grid_epoch

pytestmark = pytest.mark.browser

ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


@pytest.fixture
def admin_page(page, django_user_model):
    django_user_model.objects.create_superuser("chief", password="chief-pw-for-tests")
    log_in(page, "chief", "chief-pw-for-tests")
    return page


def test_every_link_of_the_api_root_leads_to_the_api(logged_in_page, live_server):
    page = logged_in_page
    page.goto("/api/")
    links = page.locator(".response-info a").evaluate_all("(anchors) => anchors.map((a) => a.href)")
    assert len(links) > 10
    assert [link for link in links if not link.startswith(f"{live_server.url}/api/")] == []
    screenshot(page, "api-root")
    page.locator(".response-info a", has_text="/api/jobs/").first.click()
    page.wait_for_url("**/api/jobs/")
    expect(page.locator(".response-info")).to_contain_text('"results"')


def test_the_admin_shows_floats_rounded(admin_page):
    page = admin_page
    epoch = fake_grid_epoch("_ADMINBROWSER", profile="tiny", untrained=0)
    Regression.objects.filter(epoch=epoch).update(accuracy=57.142857142857146, test_loss=0.0021345678)
    Epoch.objects.filter(pk=epoch.pk).update(highest_price_sma=1720.8300000000017, lowest_price_sma=0.000123456789)
    page.goto("/admin/regressions/regression/")
    cells = page.locator("td.field-accuracy_rounded")
    expect(cells.first).to_have_text("57.14")
    assert set(cells.all_inner_texts()) == {"57.14"}
    expect(page.locator("td.field-test_loss_rounded").first).to_have_text("0.002135")
    expect(page.locator("#result_list")).not_to_contain_text("57.1428")
    screenshot(page, "admin-regressions-rounded")
    page.goto(f"/admin/epochs/epoch/{epoch.pk}/change/")
    expect(page.locator(".field-highest_price_sma_rounded .readonly")).to_have_text("1720.83")
    expect(page.locator("#content")).not_to_contain_text("1720.8300000000017")
    expect(page.locator('input[name="min_sum_adjustment_factors"]')).to_have_value("1, 1.5, 2")
    screenshot(page, "admin-epoch-readable")


def test_the_epoch_pages_show_times_in_iso_8601(logged_in_page, browser_epoch):
    page = logged_in_page
    page.goto("/epochs/")
    row = page.locator("tr", has=page.get_by_role("link", name=BROWSER_EPOCH_ID))
    expect(row).to_contain_text(f"{iso_utc(browser_epoch.start)} → {iso_utc(browser_epoch.end)}")
    expect(row).to_contain_text(iso_utc(browser_epoch.created))
    screenshot(page, "epochs-iso-times")

    page.goto(f"/epochs/{BROWSER_EPOCH_ID}/")
    assert_charts_rendered(page, minimum=2)
    config = page.locator("section", has=page.locator("h2", has_text="epoch.json"))
    for key in ("start", "end", "test_ds_start", "test_ds_end"):
        value = config.locator(f"dt:text-is('{key}') + dd")
        expect(value).to_contain_text(f"({iso_utc(getattr(browser_epoch, key))})")
    sma = config.locator("dt:text-is('highest_price_sma') + dd")
    expect(sma).to_have_text(readable(browser_epoch.highest_price_sma))  # the file's digits in its title
    expect(sma).to_have_attribute("title", str(browser_epoch.highest_price_sma))
    screenshot(page, "epoch-detail-iso-times")

    page.goto("/epochs/candles/")
    candle_set = CandlestickSet.objects.get(pk=browser_epoch.candlestick_set_id)
    coverage = page.locator(f'[data-candle-set="{candle_set.name}"] dt:text-is("Coverage") + dd')
    expect(coverage).to_contain_text(f"{iso_utc(candle_set.first_open_time)} → {iso_utc(candle_set.last_close_time)}")
    last_import = page.locator(f'[data-candle-set="{candle_set.name}"] dt:text-is("Last import") + dd')
    assert ISO.match(last_import.inner_text().strip()), last_import.inner_text()
    assert page.locator("text=/\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}/").count() == 0  # no "Y-m-d H:i" left
    screenshot(page, "candles-iso-times")
