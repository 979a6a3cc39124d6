"""The regression page's certificate tabs, the leaderboard's badges and the live training curve, in a real browser.

Made-up results on the smoke grid (no training): a certificate per trained regression, and for
the live curve the history file a local training writes beside its checkpoint after each epoch.
"""

import shutil

import pytest
from playwright.sync_api import expect

from epochs.services.paths import epoch_layout
from regressions.models import Regression
from regressions.services.files import regression_certificate
from testing.browser import assert_charts_rendered, screenshot, wait_for
from testing.regression_fakes import fake_grid_epoch

pytestmark = pytest.mark.browser

TAB_CHARTS = {
    "summary": set(),
    "training": {"reg-loss", "reg-metric"},
    "discovery": {"reg-accuracy", "reg-points", "reg-predictions-pie", "reg-outcomes-pie", "reg-histogram"},
    "epochs": set(),
}


def _visible_charts(page) -> set[str]:
    return set(page.eval_on_selector_all(".tab-panel.active [data-chart]", "(els) => els.map((el) => el.id)"))


def test_the_regression_page_shows_each_certificate_tab(logged_in_page):
    epoch = fake_grid_epoch("_REGTABS", profile="smoke", untrained=1)
    regression = Regression.objects.filter(epoch=epoch, status="trained").order_by("-ebe_points").first()
    cert = regression_certificate(regression)
    page = logged_in_page
    page.goto(f"/regressions/r/{regression.config_id}/")
    assert_charts_rendered(page, minimum=7)  # every tab's, laid out whether shown or not
    for tab, charts in TAB_CHARTS.items():
        page.click(f'[data-tab="{tab}"]')
        expect(page.locator(f'[data-tab-panel="{tab}"]')).to_be_visible()
        assert _visible_charts(page) == charts, tab
        screenshot(page, f"regression-tab-{tab}")
    page.click('[data-tab="summary"]')
    expect(page.locator("#summary")).to_contain_text("2021-01-01T00:00:00Z")
    expect(page.locator("#dataset-summary")).to_contain_text(f"{cert['train_size'] + cert['test_size']:,} windows")
    expect(page.locator("#hyperparameters")).to_contain_text("Units")
    breakdown = page.locator("#ebe-breakdown")
    expect(breakdown).to_contain_text("Mean absolute error")
    expect(breakdown.locator("tr.ebe-total")).to_have_count(3)
    expect(breakdown).to_contain_text(f"{cert['discovery']['accuracy']:.2f} %")
    page.click('[data-tab="epochs"]')
    expect(page.locator("#epochs-table tbody tr")).to_have_count(len(cert["training_history"]["loss"]))
    expect(page.locator("#epochs-table tr.best-epoch td").first).to_contain_text(str(cert["best_epoch"]))
    # A tab can be linked to.
    page.goto(f"/regressions/r/{regression.config_id}/#tab-discovery")
    assert _visible_charts(page) == TAB_CHARTS["discovery"]


def test_the_leaderboard_badges_the_best_and_worst_of_each_column(logged_in_page):
    epoch = fake_grid_epoch("_REGBADGES", profile="smoke", untrained=1)
    best = Regression.objects.filter(epoch=epoch).exclude(ebe_points=None).order_by("-ebe_points").first()
    page = logged_in_page
    page.goto(f"/regressions/leaderboard/?epoch={epoch.id}&size=200")
    expect(page.locator(f'tr[data-id="{best.config_id}"] td[data-field="ebe_points"] .badge.best')).to_be_visible()
    for field in ("ebe_points", "accuracy", "points", "test_loss"):
        expect(page.locator(f'#leaderboard td[data-field="{field}"] .badge.best')).to_have_count(1)
        expect(page.locator(f'#leaderboard td[data-field="{field}"] .badge.worst')).to_have_count(1)
    page.select_option('select[name="ebe_state"]', best.ebe_state)
    page.click('#leaderboard-filters button[type="submit"]')
    expect(page.locator('#leaderboard td[data-field="ebe_points"] .badge.best')).to_have_count(1)
    assert_charts_rendered(page, minimum=2)
    screenshot(page, "regression-leaderboard-badges")


def _write_epochs(folder, count):
    """What a local training leaves after ``count`` finished epochs (the engine's own writer)."""
    from regressions.engine.training import partial_history, write_partial_history

    history = {"loss": [0.02 / (i + 1) for i in range(count)], "val_loss": [0.025 / (i + 1) for i in range(count)]}
    write_partial_history(folder, partial_history(history, max_epochs=30, best_epoch=count))


def test_a_training_regression_draws_its_curve_as_epochs_finish(logged_in_page):
    epoch = fake_grid_epoch("_REGLIVE", profile="smoke", untrained=2)
    regression = Regression.objects.filter(epoch=epoch, status="pending").select_related("config").first()
    Regression.objects.filter(pk=regression.pk).update(status="training")
    folder = epoch_layout(epoch.id).checkpoint_dir(regression.config_id)
    page = logged_in_page
    try:
        # Before its first epoch: no chart yet, and none drawn without points.
        page.goto(f"/regressions/r/{regression.config_id}/")
        expect(page.locator("[data-live-waiting]")).to_be_visible()
        assert page.locator("#reg-live[data-chart]").count() == 0
        # Epochs finish: each poll of the page (every few seconds) draws the curve further.
        for count in (3, 5):
            _write_epochs(folder, count)
            wait_for(
                lambda n=count: page.get_attribute("[data-live-history]", "data-epochs") == str(n),
                15,
                f"the curve to reach epoch {count}",
            )
            expect(page.locator('[data-field="live-epochs"]')).to_have_text(str(count))
            live = next(c for c in assert_charts_rendered(page) if c["id"] == "reg-live")
            assert live["points"] == [count, count]
        expect(page.locator("[data-live-waiting]")).to_have_count(0)
        screenshot(page, "regression-live-curve")
        # The batch's page draws it too, at once from what has finished.
        page.goto(f"/regressions/batches/{regression.config.batch_id}/")
        charts = assert_charts_rendered(page, minimum=1)
        assert next(c for c in charts if c["id"] == f"batch-live-{regression.config_id}")["points"] == [5, 5]
        screenshot(page, "regression-batch-live-curve")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
