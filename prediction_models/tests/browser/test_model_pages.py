"""The prediction-model pages in a real browser: made-up models (no training), every chart drawn with points."""

import pytest
from playwright.sync_api import expect

from epochs.models import CandlestickSet, Epoch
from prediction_models.models import ForwardTest
from testing.browser import assert_charts_rendered, screenshot
from testing.prediction_model_fakes import fake_assets, fake_model, fake_search, position

pytestmark = pytest.mark.browser

# The first long opens above the price: under water (a mark-to-market drawdown) until it wins.
WINNING = [{**position(1, 0, 30, True, 1010.0), "op": 102.5}, position(-1, 1440 * 31, 1440 * 31 + 45, True, 1030.3)]
MIXED = [
    position(1, 60, 900, True, 1010.0, f=(0.5, 0.3)),
    position(-1, 1000, 2000, False, 995.0, f=(-0.45, -0.35)),
    position(1, 1440 * 40, 1440 * 40 + 15, True, 1025.0),
]
# Each line of the period chart: its first and last time, its lowest value (the page's JS reads plotly's data).
_PERIOD_TRACES_JS = """(id) => document.getElementById(id).data.map((t) => ({
    name: t.name, mode: t.mode || "", type: t.type,
    first: String(t.x[0]), last: String(t.x[t.x.length - 1]),
    low: t.y ? Math.min(...Array.from(t.y)) : null,
}))"""


def _models():
    epoch = Epoch.objects.create(
        id="_PMBROWSER", candlestick_set=CandlestickSet.objects.create(name="pmb"), status="ready"
    )
    search = fake_search(epoch)
    fake_assets(search)
    return [fake_model(epoch, search, 0, WINNING), fake_model(epoch, search, 1, MIXED, profit_factor=3.5)]


def test_the_model_page_draws_both_drawdowns_on_one_time_axis(logged_in_page):
    winning, _ = _models()
    page = logged_in_page
    page.goto(f"/prediction-models/models/{winning.id}/")
    charts = assert_charts_rendered(page, minimum=2)
    assert {"pm-period-selection", "pm-discovery"} <= {c["id"] for c in charts}
    traces = page.evaluate(_PERIOD_TRACES_JS, "pm-period-selection")
    lines = [t for t in traces if t["mode"] == "lines"]
    assert len(lines) == 5 and len({(t["first"], t["last"]) for t in lines}) == 1  # one time axis
    candles = next(t for t in traces if t["type"] == "candlestick")
    assert candles["first"] == lines[0]["first"]
    numbers = page.locator(".drawdowns")
    closed = float(numbers.locator('[data-field="closed-drawdown"]').inner_text().rstrip(" %"))
    marked = float(numbers.locator('[data-field="marked-drawdown"]').inner_text().rstrip(" %"))
    certificate = float(numbers.locator('[data-field="certificate-drawdown"]').inner_text().rstrip(" %"))
    by_name = {t["name"].split(" (")[0]: t for t in lines}
    assert round(by_name["drawdown, closed positions"]["low"], 2) + 0.0 == closed == 0.0
    assert round(by_name["drawdown, marked to market"]["low"], 2) == marked < 0
    assert certificate > 0  # the original's signed figure: the balance never fell
    expect(page.locator("#pm-period-selection-card")).to_contain_text("positive when the balance never fell")
    screenshot(page, "prediction-model-drawdowns")


def test_list_forward_columns_compare_and_the_prediction_dialog(logged_in_page):
    winning, mixed = _models()
    ForwardTest.objects.create(
        prediction_model=mixed, start=0, end=1, status="done", profit=7.5, accuracy=60, positions=5
    )
    page = logged_in_page
    page.goto("/prediction-models/models/?epoch=_PMBROWSER&sort=-discovery_points")
    expect(page.locator('[data-field="total"]')).to_have_text("2")
    expect(page.locator("#model-list thead")).to_contain_text("Forward profit (USDT)")
    expect(page.locator(f'tr[data-id="{mixed.id}"] [data-field="forward_profit"]')).to_have_text("7.50")
    expect(page.locator(f'tr[data-id="{winning.id}"] [data-field="forward_profit"]')).to_have_text("")
    expect(page.locator(f'tr[data-id="{mixed.id}"] [data-field="profit"] .badge')).to_have_text("Worst")
    screenshot(page, "prediction-model-list")

    # A tick stays when the list changes: the other model is ticked on a list that shows it alone.
    page.check(f'input[value="{mixed.id}"]')
    assert winning.profit > mixed.profit
    page.goto(f"/prediction-models/models/?epoch=_PMBROWSER&min_profit={winning.profit}")
    expect(page.locator('[data-field="total"]')).to_have_text("1")
    expect(page.locator('[data-picks-note="models"]')).to_contain_text("1 ticked (1 not on this page)")
    page.check(f'input[value="{winning.id}"]')
    page.click("#compare-button")
    expect(page.locator("h1")).to_have_text("Compare 2 prediction models")
    charts = assert_charts_rendered(page, minimum=6)
    balance = next(c for c in charts if c["id"] == "chart-compare-balance")
    assert balance["traces"] == 2
    assert {
        "chart-compare-profit",
        "chart-compare-fees",
        "chart-compare-hyper-0",
        "chart-compare-discovery-ranges",
    } <= {c["id"] for c in charts}
    expect(page.locator("#compare-models .badge.best").first).to_be_visible()
    screenshot(page, "prediction-model-compare")

    page.goto(f"/prediction-models/models/{mixed.id}/report/")
    assert_charts_rendered(page, minimum=2)
    page.click('#trades-selection tr[data-position="2"]')
    expect(page.locator("#prediction-dialog")).to_be_visible()
    charts = assert_charts_rendered(page, minimum=3)
    dialog = next(c for c in charts if c["id"] == "prediction-chart")
    assert dialog["points"] == [3]  # a bar per regression feature and their sum
    bars = page.evaluate("() => Array.from(document.getElementById('prediction-chart').data[0].y)")
    assert bars == [-0.45, -0.35, -0.8]
    expect(page.locator("#prediction-chart")).to_contain_text("min decrease sum")
    screenshot(page, "prediction-model-dialog")
    with page.expect_download() as download:
        page.click("#prediction-dialog button.close")
        page.click("#period-selection a[download]")
    assert download.value.suggested_filename.endswith("_selection_trades.csv")
