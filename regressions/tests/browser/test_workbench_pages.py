"""The workbench in a real browser: the original grid's 1,220 configs with made-up results, sorted, filtered, compared."""

import re

import pytest
from playwright.sync_api import expect

from epochs.models import CandlestickSet, Epoch
from regressions.models import Regression
from testing.browser import assert_charts_rendered, screenshot
from testing.prediction_model_fakes import fake_model, fake_search, position
from testing.regression_fakes import fake_grid_epoch

pytestmark = pytest.mark.browser


def _column(page, field):
    """The column's numbers (a Best or Worst badge may follow one)."""
    texts = page.locator(f'#leaderboard td[data-field="{field}"]').all_inner_texts()
    return [float(t.split()[0]) for t in texts if t.strip() != "—"]


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
    expected = Regression.objects.filter(
        epoch=epoch, config__category="LSTM", config__learning_rate=-1, accuracy__gte=55
    ).count()
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


def test_ticks_carry_across_the_leaderboards_pages_into_the_comparison(logged_in_page):
    epoch = fake_grid_epoch("_WBPICKS")
    page = logged_in_page
    page.goto(f"/regressions/leaderboard/?epoch={epoch.id}")
    boxes = page.locator('#leaderboard input[name="ids"]')
    first = [boxes.nth(i).get_attribute("value") for i in range(2)]
    for i in range(2):
        boxes.nth(i).check()
    expect(page.locator('[data-picks-note="regressions"]')).to_contain_text("2 ticked (0 not on this page)")
    page.click('a[rel="next"]')
    expect(page).to_have_url(re.compile(r"page=2"))
    expect(page.locator('[data-picks-note="regressions"]')).to_contain_text("2 ticked (2 not on this page)")
    later = boxes.nth(0).get_attribute("value")
    boxes.nth(0).check()
    page.click('a[rel="prev"]')  # back on the first page, its ticks are there again
    for i in range(2):
        expect(boxes.nth(i)).to_be_checked()
    page.click("#compare-button")
    expect(page.locator("h1")).to_have_text("Compare 3 regressions")
    for rid in [*first, later]:
        expect(page.locator("#compare-summary")).to_contain_text(rid)
    screenshot(page, "workbench-compare-across-pages")

    # Cleared, nothing is carried any more.
    page.goto(f"/regressions/leaderboard/?epoch={epoch.id}&page=2")
    page.click('[data-picks-note="regressions"] [data-clear-picks]')
    expect(page.locator('[data-picks-note="regressions"]')).to_be_hidden()
    page.goto(f"/regressions/leaderboard/?epoch={epoch.id}")
    expect(page.locator('#leaderboard input[name="ids"]:checked')).to_have_count(0)


def test_the_glossary_explains_the_terms(logged_in_page):
    page = logged_in_page
    page.goto("/glossary/")
    for term in ("EBE points", "pcr", "msf", "msaf", "Discovery accuracy", "Learning rate −1", "Purge", "Holdout"):
        expect(page.locator("#glossary")).to_contain_text(term)
    expect(page.locator("#glossary")).to_contain_text("InverseTimeDecay")
    screenshot(page, "glossary")


def test_grid_analysis_draws_every_chart(logged_in_page):
    epoch = fake_grid_epoch("_WBANALYSIS", profile="smoke", untrained=0)
    page = logged_in_page
    # The first fit imports scikit-learn (seconds on a loaded machine); later ones come from the cache.
    page.goto(f"/regressions/analysis/?epoch={epoch.id}&target=accuracy", timeout=60_000)
    assert_charts_rendered(page, minimum=8)
    expect(page.locator("#importances tbody tr")).to_have_count(6)
    screenshot(page, "workbench-analysis")


def test_model_list_report_and_trade_csv(logged_in_page, tmp_path):
    epoch = Epoch.objects.create(
        id="_WBMODELS", candlestick_set=CandlestickSet.objects.create(name="wbmodels"), status="ready"
    )
    search = fake_search(epoch)
    winning = [position(1, 0, 30, True, 1010.0), position(-1, 1440 * 31, 1440 * 31 + 45, True, 1030.3)]
    mixed = [
        position(1, 0, 30, True, 1010.0),
        position(-1, 60, 90, False, 1000.0),
        position(1, 1440 * 40, 1440 * 40 + 15, True, 1025.0),
    ]
    first = fake_model(epoch, search, 0, winning)
    fake_model(epoch, search, 1, mixed, profit_factor=3.5)
    fake_model(epoch, search, 2, list(winning))
    page = logged_in_page
    page.goto("/prediction-models/models/?epoch=_WBMODELS")
    expect(page.locator('[data-field="total"]')).to_have_text("3")
    expect(page.locator(f'tr[data-id="{first.id}"] [data-field="duplicates"]')).to_contain_text("duplicate")
    expect(page.locator(f'tr[data-id="{first.id}"] [data-field="profit_factor"]')).to_have_text("∞")
    page.fill('input[name="min_positions"]', "3")
    page.click('#model-filters button[type="submit"]')
    expect(page.locator('[data-field="total"]')).to_have_text("1")
    screenshot(page, "workbench-models")
    page.goto(f"/prediction-models/models/{first.id}/report/")
    expect(page.locator('#period-selection [data-field="profit-factor"]')).to_contain_text("∞")
    charts = assert_charts_rendered(page, minimum=2)
    assert {c["id"] for c in charts} == {"chart-balance-selection", "chart-insight-selection"}
    expect(page.locator("#trades-selection tbody tr")).to_have_count(2)
    expect(page.locator("#monthly-selection")).to_contain_text("2021-03")
    with page.expect_download() as download:
        page.click("#period-selection a[download]")
    saved = tmp_path / "trades.csv"
    download.value.save_as(saved)
    lines = saved.read_text().splitlines()
    assert lines[0].startswith("number,side,entry_time") and len(lines) == 3
    screenshot(page, "workbench-model-report")
