"""Every page of the pipeline in a real browser, on the demo's epoch (see ../conftest.py).

The pages are reached the way a person reaches them: from the dashboard, the epoch's pipeline
overview and the links on each page. Every plotly chart must be drawn with data; each page
leaves a screenshot under ``test-output/screenshots/pipeline-*.png``.
"""

import hashlib
import re

import pytest
from playwright.sync_api import expect

from cluster.choices import JobStatus
from cluster.models import Job
from epochs.models import EpochExport
from epochs.services.paths import epoch_dir
from pipeline.demo import DEMO_PER_MODEL, DEMO_SELECTION
from prediction_models.models import PredictionModel, PredictionModelSearch
from regressions.models import Regression, RegressionSelection, TrainingBatch
from testing.browser import BROWSER_USER, assert_charts_rendered, screenshot
from testing.demo import load_demo_rows

pytestmark = [pytest.mark.browser, pytest.mark.slow]
STAGES = ["candles", "epoch", "configs", "training", "selection", "assets", "search", "build", "export"]


@pytest.fixture
def demo(transactional_db, demo_run):
    load_demo_rows(demo_run)
    return demo_run


@pytest.fixture
def staff_page(logged_in_page, django_user_model):
    django_user_model.objects.filter(username=BROWSER_USER[0]).update(is_staff=True, is_superuser=True)
    return logged_in_page


def _exported_regression_ids(model) -> list[str]:
    """The model's regressions in feature order, as the export recorded them."""
    return EpochExport.objects.get(prediction_model_id=model.pk).regression_ids


def _open(page, path: str, *, charts: int = 0, name: str):
    response = page.goto(path)
    assert response.ok, f"{path} answered {response.status}"
    states = assert_charts_rendered(page, minimum=charts)
    screenshot(page, f"pipeline-{name}")
    return states


def test_the_empty_dashboard_queues_the_demo_and_follows_its_job(logged_in_page):
    page = logged_in_page
    page.goto("/")
    empty = page.locator("[data-empty-dashboard]")
    expect(empty).to_contain_text("No epoch yet")
    screenshot(page, "pipeline-dashboard-empty")
    empty.get_by_role("button", name="Run the demo").click()
    page.wait_for_url("**/jobs/*/")
    job = Job.objects.get(pk=page.url.rstrip("/").rsplit("/", 1)[1])
    assert job.kind == "epoca_builder.demo" and job.status == JobStatus.QUEUED
    assert job.created_by.username == BROWSER_USER[0] and job.params == {"source": None}
    expect(page.locator("h1")).to_contain_text("epoca_builder.demo")
    expect(page.locator('[data-field="status"]').first).to_have_text("queued")
    screenshot(page, "pipeline-demo-job-queued")
    page.goto("/")
    expect(page.locator("[data-empty-dashboard]")).to_contain_text(f"job #{job.pk}")


def test_the_epoch_page_shows_every_stage_done_and_its_file(staff_page, demo, tmp_path):
    page = staff_page
    epoch_id = demo.result["epoch"]
    export = EpochExport.objects.get(epoch_id=epoch_id)

    _open(page, "/", name="dashboard")
    # The epochs' table (the recent jobs' table links the demo's job to its epoch too).
    row = page.locator("table:not(.jobs) tr", has=page.get_by_role("link", name=epoch_id))
    expect(row).to_contain_text("complete")
    row.get_by_role("link", name=epoch_id).click()
    page.wait_for_url(f"**/epochs/{epoch_id}/")

    stages = page.locator("[data-pipeline] [data-stage]")
    assert [stages.nth(i).get_attribute("data-stage") for i in range(stages.count())] == STAGES
    assert [stages.nth(i).get_attribute("data-state") for i in range(stages.count())] == ["done"] * len(STAGES)
    expect(page.locator("[data-pipeline] .stage-action")).to_have_count(0)
    expect(page.locator('[data-stage="export"]')).to_contain_text(f"{epoch_id}.zip")
    price, normalized = assert_charts_rendered(page, minimum=2)
    assert max(price["points"]) > 1000 and max(normalized["points"]) > 1000
    screenshot(page, "pipeline-epoch")

    # The Epoch File section: its row and the download, byte for byte the stored file.
    section = page.locator("#epoch-file")
    expect(section).to_contain_text(export.prediction_model_id)
    expect(section.locator("tbody tr")).to_have_count(1)
    with page.expect_download() as info:
        section.get_by_role("link", name=f"Download {epoch_id}.zip").click()
    download = info.value
    assert download.suggested_filename == f"{epoch_id}.zip"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    stored = epoch_dir(epoch_id) / export.file_path
    assert (
        hashlib.sha256(saved.read_bytes()).hexdigest()
        == export.sha256
        == hashlib.sha256(stored.read_bytes()).hexdigest()
    )

    # Inspecting the downloaded file shows its members, a matching manifest and its charts.
    section.get_by_role("link", name="Inspect any Epoch File").click()
    page.wait_for_url("**/epochs/inspect/")
    page.set_input_files('input[name="file"]', str(saved))
    page.get_by_role("button", name="Inspect").click()
    page.wait_for_load_state("load")
    expect(page.get_by_role("heading", name=f"{epoch_id}.zip")).to_be_visible()
    body = page.locator("main")
    expect(body).to_contain_text("Installable")
    expect(body).to_contain_text("every sha256 matches")
    for member in (
        "epoch.json",
        "prediction_model_certificate.json",
        "regression_certificates.json",
        "manifest.json",
        *(f"{rid}.h5" for rid in export.regression_ids),
    ):
        expect(body.locator("code", has_text=re.compile(f"^{re.escape(member)}$"))).to_have_count(1)
    regressions = page.locator("section", has=page.get_by_role("heading", name="Regressions")).locator("tbody tr")
    expect(regressions).to_have_count(DEMO_PER_MODEL)
    assert_charts_rendered(page, minimum=2)
    screenshot(page, "pipeline-inspect")


def test_every_stage_page_charts_the_demo(staff_page, demo):
    page = staff_page
    epoch_id = demo.result["epoch"]
    model = PredictionModel.objects.get(pk=demo.result["prediction_model"])
    search = PredictionModelSearch.objects.get(epoch_id=epoch_id)
    selection = RegressionSelection.objects.get(epoch_id=epoch_id)

    page.goto(f"/epochs/{epoch_id}/")
    links = {
        key: page.locator(f'[data-stage="{key}"] h3 a').get_attribute("href")
        for key in ("candles", "configs", "selection", "assets", "build")
    }
    assert links == {
        "candles": "/epochs/candles/",
        "configs": f"/regressions/?epoch={epoch_id}",
        "selection": f"/regressions/selections/{selection.pk}/",
        "assets": f"/prediction-models/searches/{search.pk}/",
        "build": f"/prediction-models/models/{model.pk}/",
    }

    _open(page, links["candles"], charts=1, name="candles")
    _open(page, "/epochs/", name="epochs")
    expect(page.get_by_role("link", name=epoch_id)).to_be_visible()

    _open(page, links["configs"], name="regressions")
    batches = TrainingBatch.objects.filter(epoch_id=epoch_id)
    batch_rows = page.locator("table").first.locator("tbody tr")
    expect(batch_rows).to_have_count(batches.count())
    expect(page.get_by_role("link", name="demo-top")).to_be_visible()
    first_regression = Regression.objects.get(pk=_exported_regression_ids(model)[0])
    batch = first_regression.config.batch
    page.get_by_role("link", name=batch.name, exact=True).click()
    page.wait_for_url(f"**/regressions/batches/{batch.pk}/")
    assert_charts_rendered(page, minimum=2)
    expect(page.locator("tbody .status-trained")).to_have_count(batch.configs.count())
    screenshot(page, "pipeline-batch")

    _open(page, links["selection"], charts=1, name="selection")
    ranking = page.locator("table tbody tr")
    expect(ranking.filter(has_text="✔")).to_have_count(DEMO_SELECTION)

    _open(page, links["assets"], charts=1, name="search")
    expect(page.locator(".status-built, .status-searched")).to_have_count(1)
    page.get_by_role("link", name=model.pk).click()
    page.wait_for_url(f"**/prediction-models/models/{model.pk}/")
    # One chart per period (selection, holdout: price, balances and drawdowns on one time axis)
    # and the discovery chart.
    assert_charts_rendered(page, minimum=3)
    # Selection and holdout side by side; a metric without a value reads "—", never a blank cell.
    comparison = page.locator("section", has=page.get_by_role("heading", name="Selection vs holdout")).locator(
        "tbody td"
    )
    assert "" not in [text.strip() for text in comparison.all_text_contents()]
    screenshot(page, "pipeline-model")

    # The model's regressions, in feature order, each with its training and discovery charts.
    feature_links = page.locator(
        "section", has=page.get_by_role("heading", name="Regressions (feature order)")
    ).locator("tbody a")
    ids = [feature_links.nth(i).text_content() for i in range(feature_links.count())]
    assert ids == _exported_regression_ids(model)
    for i, regression_id in enumerate(ids):
        _open(page, f"/regressions/r/{regression_id}/", charts=5, name=f"regression-{i}")
        expect(page.locator("h1 .status")).to_have_text("trained")
        # The batch's training job made one child job per regression, listed on its page.
        trainings = page.locator("tr[data-job-id]", has_text="regressions.train")
        expect(trainings).to_have_count(1)
        expect(trainings).to_contain_text("succeeded")

    _open(page, f"/prediction-models/?epoch={epoch_id}", name="prediction-models")
    expect(page.get_by_role("link", name=f"#{search.pk}")).to_be_visible()

    export_job = Job.objects.get(kind="epochs.export")
    _open(page, f"/jobs/{export_job.parent_id}/", name="jobs")  # the export is a stage of the demo's job
    expect(page.locator(f'tr[data-job-id="{export_job.pk}"]')).to_contain_text("succeeded")
    _open(page, f"/jobs/{export_job.pk}/", name="job-export")
    expect(page.locator('[data-field="status"]').first).to_have_text("succeeded")
    expect(page.locator('[data-field="counts"]')).to_have_text(re.compile(r"^(\d+) / \1$"))
    _open(page, "/servers/", name="servers")
    _open(page, "/admin/", name="admin")
    _open(page, "/admin/epochs/epoch/", name="admin-epochs")
    expect(page.get_by_role("link", name=epoch_id)).to_be_visible()


def test_an_exported_epoch_offers_no_retrain(staff_page, demo):
    page = staff_page  # an administrator, who could retrain an epoch that is not exported
    epoch_id = demo.result["epoch"]
    regression = Regression.objects.filter(epoch_id=epoch_id).order_by("pk").first()
    # The demo's epoch is exported, so frozen: its regressions stay as Epoca has them.
    page.goto(f"/regressions/r/{regression.pk}/")
    expect(page.locator("[data-frozen]")).to_contain_text("frozen: the epoch is exported")
    expect(page.get_by_role("button", name="Retrain")).to_have_count(0)
    page.goto(f"/epochs/{epoch_id}/")
    expect(page.locator("#frozen")).to_contain_text("until an administrator withdraws the export")
    expect(page.get_by_role("button", name="Delete this epoch")).to_have_count(0)
    screenshot(page, "pipeline-frozen-epoch")
