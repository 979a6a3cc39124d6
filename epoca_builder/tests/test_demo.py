"""`manage.py demo` on the real candles: the whole pipeline ends with an Epoch File Epoca installs.

The zip is read the way Epoca reads it (members at the archive's root, the ids it joins on, the
HDF5 attributes its prediction service needs), with plain zipfile/json/hashlib/h5py, not with
the application's own reader.
"""

import hashlib
import io
import itertools
import json
import zipfile

import h5py
import pytest
from django.conf import settings
from django.urls import reverse
from django.utils.html import escape

from cluster.choices import JobStatus
from cluster.models import Job
from epochs.models import Epoch, EpochExport
from epochs.services.paths import epoch_dir
from pipeline.demo import DEMO_MIN_POSITIONS, DEMO_PER_MODEL, DEMO_SELECTION, verdict_lines
from pipeline.overview import DONE, epoch_pipeline
from prediction_models.models import PredictionModel
from prediction_models.services.verdicts import model_verdict
from regressions.models import Regression, RegressionSelection
from testing.demo import load_demo_rows

pytestmark = pytest.mark.slow

JSON_MEMBERS = ("epoch.json", "prediction_model_certificate.json", "regression_certificates.json")


@pytest.fixture
def demo(db, demo_run):
    load_demo_rows(demo_run)
    return demo_run


def _strict_json(data: bytes):
    """Epoca's parser turns NaN into 0 but fails on Infinity: accept neither."""

    def refuse(constant):
        raise AssertionError(f"non-finite JSON number {constant}")

    return json.loads(data, parse_constant=refuse)


@pytest.fixture
def epoch_file(demo):
    epoch = Epoch.objects.get(pk=demo.result["epoch"])
    path = epoch_dir(epoch.id) / demo.result["epoch_file"]
    data = path.read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    return epoch, data, members


def test_the_command_reports_its_epoch_file(demo):
    result = demo.result
    assert "Epoch File ready" in demo.output
    assert result["epoch"].startswith("_DEMO") and result["epoch_file"] == f"{result['epoch']}.zip"
    assert result["verified"] is True


def test_the_epoch_file_holds_what_epoca_installs(epoch_file):
    epoch, _, members = epoch_file
    assert all("/" not in name for name in members), f"Epoca reads the archive's root only: {sorted(members)}"
    config, certificate, regression_certificates = (_strict_json(members[name]) for name in JSON_MEMBERS)

    assert config["id"] == epoch.id and 4 <= len(epoch.id) <= 100 and epoch.id.startswith("_")
    model = certificate["model"]
    assert certificate["id"] == model["id"] and certificate["id"].startswith(f"{epoch.id}_")
    assert 30 <= len(certificate["id"]) <= 200
    regression_ids = [r["id"] for r in model["regressions"]]
    assert len(regression_ids) == DEMO_PER_MODEL == len(set(regression_ids))
    assert all(30 <= len(rid) <= 200 for rid in regression_ids)
    # One certificate per regression, in the model's order, and exactly one .h5 each.
    assert isinstance(regression_certificates, list)
    assert [c["id"] for c in regression_certificates] == regression_ids
    assert set(members) == {*JSON_MEMBERS, "manifest.json", *(f"{rid}.h5" for rid in regression_ids)}

    for config_entry, regression_certificate in zip(model["regressions"], regression_certificates, strict=False):
        rid = config_entry["id"]
        with h5py.File(io.BytesIO(members[f"{rid}.h5"]), "r") as h5:
            # Epoca's prediction service reads these four root attributes and loads model_config.
            assert h5.attrs["id"] == rid
            assert h5.attrs["description"]
            assert (
                int(h5.attrs["lookback"])
                == config_entry["lookback"]
                == regression_certificate["regression_config"]["lookback"]
            )
            assert int(h5.attrs["predictions"]) == config_entry["predictions"]
            assert "model_config" in h5.attrs and "model_weights" in h5
        assert set(regression_certificate["test_ds_evaluation"]) >= {"mean_absolute_error", "mean_squared_error"}


def test_the_manifest_lists_every_member_with_its_sha256(epoch_file):
    _, _, members = epoch_file
    manifest = _strict_json(members["manifest.json"])
    certificate = _strict_json(members["prediction_model_certificate.json"])
    assert manifest["epoch_id"] == _strict_json(members["epoch.json"])["id"]
    assert manifest["prediction_model_id"] == certificate["id"]
    assert manifest["regression_ids"] == [r["id"] for r in certificate["model"]["regressions"]]
    expected = {
        name: {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
        for name, data in members.items()
        if name != "manifest.json"
    }
    assert manifest["members"] == expected


def test_the_database_records_the_verified_export(demo, epoch_file):
    epoch, data, members = epoch_file
    assert epoch.status == "exported"
    certificate = _strict_json(members["prediction_model_certificate.json"])
    export = EpochExport.objects.get(epoch=epoch)
    assert export.verified
    assert export.sha256 == hashlib.sha256(data).hexdigest() == demo.result["sha256"]
    assert export.size == len(data)
    assert export.prediction_model_id == certificate["id"] == demo.result["prediction_model"]
    assert export.regression_ids == [r["id"] for r in certificate["model"]["regressions"]]

    # The exported model is the best one built, on regressions of the saved selection.
    best = PredictionModel.objects.filter(search__epoch=epoch).order_by("rank").first()
    assert best.id == export.prediction_model_id
    selection = RegressionSelection.objects.get(epoch=epoch)
    assert selection.size == len(selection.regression_ids) == DEMO_SELECTION
    assert set(export.regression_ids) <= set(selection.regression_ids)
    regressions = Regression.objects.filter(epoch=epoch)
    assert regressions.count() == regressions.filter(status="trained").count() > DEMO_SELECTION

    # Every stage's job succeeded, and the pipeline overview says each stage is done.
    jobs = Job.objects.all()
    assert jobs.exists() and not jobs.exclude(status=JobStatus.SUCCEEDED).exists()
    stages = epoch_pipeline(epoch)
    assert [s.key for s in stages] == [
        "candles",
        "epoch",
        "configs",
        "training",
        "selection",
        "assets",
        "search",
        "build",
        "export",
    ]
    assert {s.key: s.state for s in stages} == {s.key: DONE for s in stages}
    assert all(s.action is None for s in stages)


VERDICT_CHECKS = [
    ("deflated_sharpe_ratio", f">= {settings.VERDICT_MIN_DEFLATED_SHARPE}"),
    ("probability_of_backtest_overfitting", f"<= {settings.VERDICT_MAX_PBO}"),
    ("spa_pvalue_flat", f"<= {settings.VERDICT_MAX_SPA_PVALUE}"),
    ("spa_pvalue_buy_and_hold", f"<= {settings.VERDICT_MAX_SPA_PVALUE}"),
    ("holdout_profit", f"> {settings.VERDICT_MIN_HOLDOUT_PROFIT}"),
    ("forward_tests_profit", f"> {settings.VERDICT_MIN_FORWARD_PROFIT} (each)"),
]


def test_the_demo_ends_with_the_verdict_on_its_model(demo):
    result = demo.result
    assert list(result)[-1] == "verdict"
    assert result["min_positions"] == DEMO_MIN_POSITIONS
    checks = result["verdict"]
    assert [(c["check"], c["threshold"]) for c in checks] == VERDICT_CHECKS
    assert all(c["passed"] in (True, False, "not available") for c in checks)
    # What the verdict service says of the exported model now (no forward test yet: not available).
    model = PredictionModel.objects.get(pk=result["prediction_model"])
    assert json.loads(json.dumps(model_verdict(model))) == checks
    assert checks[-1]["passed"] == "not available" and checks[-1]["value"] is None
    # The demo job's result is the same, and the command's output ends with the verdict's lines.
    job = Job.objects.get(kind="epoca_builder.demo")
    assert job.result == result
    lines = verdict_lines(result)
    assert demo.output.rstrip("\n").splitlines()[-len(lines) :] == lines
    assert lines[0].startswith(f"Verdict on {result['prediction_model']}: ")
    for (name, threshold), line in zip(VERDICT_CHECKS, lines[1:-1], strict=True):
        assert name in line and f"passes when {threshold}" in line
    assert f"at least {DEMO_MIN_POSITIONS} positions" in lines[-1]


def test_the_epoch_page_and_the_dashboard_show_the_demos_verdict(demo, admin_client):
    epoch_page = admin_client.get(reverse("epoch-detail", args=[demo.result["epoch"]])).content.decode()
    dashboard = admin_client.get(reverse("dashboard")).content.decode()
    for page, section in ((epoch_page, 'id="epoch-verdict"'), (dashboard, 'id="demo-verdict"')):
        shown = page[page.index(section) :]
        for check in demo.result["verdict"]:
            assert f'data-check="{check["check"]}"' in shown and escape(check["threshold"]) in shown
    # The demo's low minimum of positions is said where its verdict is shown.
    assert 'id="epoch-verdict-min-positions"' in epoch_page
    assert f"at least {DEMO_MIN_POSITIONS} positions" in epoch_page
    assert f"at least {DEMO_MIN_POSITIONS} positions" in dashboard[dashboard.index('id="demo-verdict"') :]


def test_the_trainings_ran_two_at_a_time(demo):
    """The demo ran with two workers (this process and a helper): trainings overlapped."""
    trainings = list(Job.objects.filter(kind="regressions.train").order_by("started"))
    assert len(trainings) == Regression.objects.count() > DEMO_SELECTION
    assert len({job.worker for job in trainings}) == 2
    overlapping = sum(1 for a, b in itertools.pairwise(trainings) if b.started < a.finished)
    assert overlapping >= len(trainings) // 2


def test_the_demo_job_shows_its_last_stage_its_epoch_and_what_it_made(demo, admin_client):
    job = Job.objects.get(kind="epoca_builder.demo")
    assert job.stage == "stage 9 / 9: Epoch File"
    assert job.target_id == demo.result["epoch"] and job.target_type.model == "epoch"
    html = admin_client.get(reverse("job-detail", args=[job.pk])).content.decode()
    made = html[html.index('id="job-made"') :]
    assert f'href="{reverse("epoch-detail", args=[job.target_id])}"' in made
    assert f'href="{reverse("epoch-download-page", args=[job.target_id])}"' in made
    assert f'href="{reverse("prediction-model-detail", args=[demo.result["prediction_model"]])}"' in made
    # Every stage's job is one of its children, listed with a link.
    children = list(job.children.all())
    assert len(children) >= 8 and all(f'href="/jobs/{c.pk}/"' in html for c in children)
    assert f"{len(children)} / {len(children)}" in html
    # Each stage is in its log.
    for key in ("candles", "epoch", "configs", "training", "selection", "assets", "search", "build", "export"):
        assert f" {key}: " in job.log_tail
