"""The live curve of a training: the history its job keeps of each epoch's report, served by the history endpoint.

A local training also writes the history beside its checkpoint (tests/engine/test_training.py);
a training on a cluster server reports through its job alone, which is what these tests follow.
"""

import pytest

from cluster.choices import JobStatus
from cluster.jobs.cli import run_inline
from cluster.services.jobs import job_enqueue
from regressions.models import Regression
from regressions.services.files import regression_certificate
from regressions.services.training import regression_train_enqueue
from testing.regression_fakes import fake_grid_epoch
from testing.smoke import make_smoke_epoch

pytestmark = pytest.mark.django_db


@pytest.mark.tensorflow
def test_each_epochs_report_carries_the_live_curve_to_the_job():
    epoch = make_smoke_epoch("_LIVEJOB", max_epochs=3)
    regression = Regression.objects.select_related("config__batch").get(epoch=epoch, config__batch__name="KR_UNIT_TEST")
    job = run_inline(regression_train_enqueue(regression=regression, inline=True))
    assert job.status == JobStatus.SUCCEEDED, job.error
    cert = regression_certificate(Regression.objects.get(pk=regression.pk))
    live = job.state["live_history"]
    epochs = len(cert["training_history"]["loss"])
    assert live["epochs"] == epochs and live["max_epochs"] == 3 and set(live["history"]) == {"loss", "val_loss"}
    for key in ("loss", "val_loss"):
        assert live["history"][key] == pytest.approx(cert["training_history"][key], rel=1e-5)


def test_a_server_trainings_curve_comes_from_its_running_job(api_client, db):
    epoch = fake_grid_epoch("_LIVESERVER", profile="smoke", untrained=1)
    regression = Regression.objects.select_related("config").get(epoch=epoch, status="pending")
    Regression.objects.filter(pk=regression.pk).update(status="training")
    job = job_enqueue(kind="regressions.train", target=regression.config, params={"regression_id": regression.pk})
    curve = {"epochs": 2, "max_epochs": 40, "best_epoch": 2, "history": {"loss": [0.3, 0.2], "val_loss": [0.4, 0.25]}}
    job.state = {"remote": {"server": 1}, "live_history": curve}
    job.status = JobStatus.RUNNING
    job.save(update_fields=["state", "status"])
    served = api_client.get(f"/api/regressions/{regression.pk}/history/").json()
    assert served["live"] is True and served["epochs"] == 2 and served["history"] == curve["history"]
    # Once the job has ended the page stops asking; an ended job's curve is not served as live.
    job.status = JobStatus.SUCCEEDED
    job.save(update_fields=["status"])
    assert api_client.get(f"/api/regressions/{regression.pk}/history/").json()["epochs"] == 0
