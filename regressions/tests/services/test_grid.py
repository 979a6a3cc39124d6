"""Config generation through the services and the job (real Keras builds in a child process)."""

import json

import pytest

from cluster.choices import JobStatus
from cluster.jobs.cli import run_inline
from core.errors import ApplicationError
from epochs.services.paths import epoch_dir
from regressions.models import Regression, RegressionConfig, TrainingBatch
from regressions.services.grid import configs_generate_enqueue, configs_plan, configs_record
from testing.smoke import make_smoke_epoch

pytestmark = pytest.mark.django_db


def test_original_grid_rows_and_files():
    epoch = make_smoke_epoch("_GRID", regression_grid_profile="original")
    summary = (
        configs_record(epoch=epoch, profile="original", result=configs_plan(epoch=epoch, profile="original"))
        if not epoch.batches.exists()
        else None
    )
    assert summary is None or summary.get("skipped")
    assert RegressionConfig.objects.filter(epoch=epoch).exclude(category="UNIT_TEST").count() == 1220
    assert TrainingBatch.objects.filter(epoch=epoch).exclude(category="UNIT_TEST").count() == 54
    per_category = {
        c: TrainingBatch.objects.filter(epoch=epoch, category=c).count()
        for c in ("CNN", "DNN", "CDNN", "LSTM", "CLSTM", "GRU")
    }
    assert per_category == {"CNN": 12, "DNN": 2, "CDNN": 14, "LSTM": 9, "CLSTM": 8, "GRU": 9}
    assert Regression.objects.filter(epoch=epoch, status="pending").count() == 1221
    folder = epoch_dir("_GRID") / "regression_training_configs"
    batch = json.loads((folder / "CDNN" / "KR_CDNN_3_14.json").read_text())
    assert batch["name"] == "KR_CDNN_3_14" and len(batch["configs"]) == 35
    unit = json.loads((folder / "UNIT_TEST" / "UNIT_TEST.json").read_text())
    assert unit["name"] == "KR_UNIT_TEST" and unit["configs"][0]["id"].startswith("KR_UNIT_TEST_")
    assert (
        "Total Models: 1220" in (folder / "receipt.txt").read_text() or "1220" in (folder / "receipt.txt").read_text()
    )
    # Regenerating gives the same ids (deterministic).
    again = configs_plan(epoch=epoch, profile="original")
    assert {c["id"] for c in again.configs} == set(
        RegressionConfig.objects.filter(epoch=epoch).exclude(category="UNIT_TEST").values_list("id", flat=True)
    )


@pytest.mark.tensorflow  # builds every Keras architecture
def test_generate_job_builds_every_architecture_once():
    epoch = make_smoke_epoch("_GRIDJOB")
    TrainingBatch.objects.filter(epoch=epoch).delete()
    job = run_inline(configs_generate_enqueue(epoch=epoch, inline=True))
    assert job.status == JobStatus.SUCCEEDED, job.error + job.log_tail
    assert job.progress_total == len(
        {json.dumps(c.config["keras_model"], sort_keys=True) for c in RegressionConfig.objects.filter(epoch=epoch)}
    )
    assert job.result["configs"] >= 12 and set(job.result["per_category"]) == {
        "CNN",
        "DNN",
        "CDNN",
        "LSTM",
        "CLSTM",
        "GRU",
    }

    with pytest.raises(ApplicationError, match="has its regression configs already"):
        configs_generate_enqueue(epoch=epoch)
