"""A regression whose best epoch is the first is certified, and every place counts epochs from 1."""

import importlib
import json

import pytest
from django.apps import apps

from cluster.choices import JobStatus
from cluster.jobs.cli import run_tree_inline
from core.files import sha256_file, write_json
from epochs.services.paths import epoch_dir
from regressions.models import Regression, TrainingBatch
from regressions.services.training import batch_train_enqueue
from testing.smoke import make_smoke_epoch

pytestmark = pytest.mark.django_db


@pytest.mark.tensorflow
def test_a_single_epoch_training_is_certified_with_best_epoch_one(api_client, client, user):
    # The reproduction: a 1-month epoch trained for one epoch only, so its best epoch is the first.
    epoch = make_smoke_epoch("_BUGA", max_epochs=1)
    batch = TrainingBatch.objects.get(epoch=epoch, name="KR_UNIT_TEST")
    job = run_tree_inline(batch_train_enqueue(batch=batch, inline=True))
    assert job.status == JobStatus.SUCCEEDED, job.error + "".join(c.error for c in job.children.all())
    regression = Regression.objects.get(config__batch=batch)
    cert = json.loads((epoch_dir(epoch.id) / "regressions" / regression.config_id / "certificate.json").read_text())
    assert cert["best_epoch"] == 1 and len(cert["training_history"]["loss"]) == 1
    assert cert["best_metrics"]["val_loss"] == cert["training_history"]["val_loss"][0]
    assert regression.best_epoch == 1
    child = job.children.get()
    assert "best epoch 1" in child.progress_message and "best epoch 2" not in child.log_tail
    assert api_client.get(f"/api/regressions/{regression.config_id}/").json()["best_epoch"] == 1
    client.force_login(user)
    page = client.get(f"/regressions/r/{regression.config_id}/")
    assert page.status_code == 200 and dict(page.context["summary"])["Best epoch"] == "1 of 1"


def test_the_migration_corrects_certificates_and_rows_written_with_a_zero_based_best_epoch(trained_unit_test):
    epoch, regression = trained_unit_test
    path = epoch_dir(epoch.id) / "regressions" / regression.config_id / "certificate.json"
    cert = json.loads(path.read_text())
    right = cert["best_epoch"]
    write_json(path, {**cert, "best_epoch": right - 1})  # as written while it was a 0-based index
    Regression.objects.filter(pk=regression.pk).update(best_epoch=right - 1)
    migration = importlib.import_module("regressions.migrations.0002_best_epoch_counted_from_one")
    migration.count_best_epoch_from_one(apps, None)
    regression.refresh_from_db()
    assert json.loads(path.read_text())["best_epoch"] == right == regression.best_epoch
    assert regression.certificate_sha256 == sha256_file(path)
    migration.count_best_epoch_from_one(apps, None)  # a second run changes nothing
    assert json.loads(path.read_text())["best_epoch"] == right
