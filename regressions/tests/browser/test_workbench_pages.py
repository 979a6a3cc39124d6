"""The workbench in a real browser: the original grid's 1,220 configs with made-up results, sorted, filtered, compared."""
import re

import pytest
from playwright.sync_api import expect

from epoca_builder.tests.browser.fixtures import assert_charts_rendered, screenshot
from regressions.models import Regression
from regressions.tests.fakes import fake_grid_epoch

pytestmark = pytest.mark.browser


def _column(page, field):
    return [float(t) for t in page.locator(f'#leaderboard td[data-field="{field}"]').all_inner_texts() if t.strip() != "—"]


def test_sort_filter_and_compare_the_whole_grid(logged_in_page):
    epoch = fake_grid_epoch("_WBBROWSER")
    page = logged_in_page
    page.goto(f"/regressions/leaderboard/?epoch={epoch.id}")
    expect(page.locator('[data-field="total"]')).to_have_text("1221")
    assert_charts_rendered(page, minimum=6)
    best = Regression.objects.filter(epoch=epoch).exclude(ebe_points=None).order_by("-ebe_points", "config_id").first()
    expect(page.locator("#leaderboard tbody tr").first).to_have_attribute("data-id", best.config_id)
    screenshot(page, "workbench-leaderboard")

    # Sort by accuracy (descending first), then ascending with a second click.
    page.click('th[data-sort-key="accuracy"] a')
    expect(page).to_have_url(re.compile(r"sort=-accuracy"))
    values = _column(page, "accuracy")
    assert values == sorted(values, reverse=True) and len(values) == 50
    page.click('th[data-sort-key="accuracy"] a')
    expect(page).to_have_url(re.compile(r"sort=accuracy"))
    values = _column(page, "accuracy")
    assert values == sorted(values)

    # Filter: LSTM networks with the decay schedule, at least 55 % accuracy.
    page.select_option('select[name="category"]', "LSTM")
    page.fill('input[name="learning_rate"]', "-1")
    page.fill('input[name="min_accuracy"]', "55")
    page.click('#leaderboard-filters button[type="submit"]')
    expected = Regression.objects.filter(epoch=epoch, config__category="LSTM", config__learning_rate=-1, accuracy__gte=55).count()
    expect(page.locator('[data-field="total"]')).to_have_text(str(expected))
    assert 0 < expected < 1221
    assert all(v >= 55 for v in _column(page, "accuracy"))
    assert_charts_rendered(page, minimum=6)
    screenshot(page, "workbench-leaderboard-filtered")

    # Tick three and compare them.
    boxes = page.locator('#leaderboard input[name="ids"]')
    ids = [boxes.nth(i).get_attribute("value") for i in range(3)]
    for i in range(3):
        boxes.nth(i).check()
    page.click("#compare-button")
    expect(page.locator("h1")).to_have_text("Compare 3 regressions")
    charts = assert_charts_rendered(page, minimum=9)
    loss = next(c for c in charts if c["id"] == "chart-compare-loss")
    assert loss["traces"] == 6  # loss and val_loss of each
    for rid in ids:
        expect(page.locator("#compare-summary")).to_contain_text(rid)
    expect(page.locator("#compare-summary .badge.best").first).to_be_visible()
    expect(page.locator("#compare-diff tr.differs").first).to_be_visible()
    expect(page.locator("#compare-ebe")).to_contain_text("Mean absolute error")
    screenshot(page, "workbench-compare")


def test_the_glossary_explains_the_terms(logged_in_page):
    page = logged_in_page
    page.goto("/glossary/")
    for term in ("EBE points", "pcr", "msf", "msaf", "Discovery accuracy", "Learning rate −1", "Purge", "Holdout"):
        expect(page.locator("#glossary")).to_contain_text(term)
    expect(page.locator("#glossary")).to_contain_text("InverseTimeDecay")
    screenshot(page, "glossary")
