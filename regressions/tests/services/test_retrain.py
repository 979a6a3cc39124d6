"""Retrain keeps the files in place until the new ones are complete; an exported epoch is frozen."""

import json

import pytest
from django.contrib.admin.sites import site
from rest_framework.test import APIClient

from cluster.choices import JobStatus
from cluster.jobs.cli import run_inline
from epochs.choices import EpochStatus
from epochs.models import Epoch, EpochExport
from epochs.services.paths import epoch_dir
from regressions.engine.pipeline import RETRAINING
from regressions.services.training import regression_train_enqueue
from testing.mounts import full_disk

pytestmark = pytest.mark.django_db
# What the training produced (the description carries the configs' creation time, the rest timings).
TRAINED = (
    "training_history",
    "test_ds_evaluation",
    "discovery",
    "best_epoch",
    "best_metrics",
    "train_size",
    "test_size",
)


def _files(epoch, regression):
    folder = epoch_dir(epoch.id) / "regressions" / regression.config_id
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def _trained(certificate: bytes) -> dict:
    return {k: v for k, v in json.loads(certificate).items() if k in TRAINED}


def test_retrain_keeps_the_files_until_the_new_ones_are_complete_then_swaps_them(trained_unit_test):
    epoch, regression = trained_unit_test
    before, sha = _files(epoch, regression), regression.certificate_sha256
    job = regression_train_enqueue(regression=regression, retrain=True, inline=True)
    # Asked for, not run yet (no worker): nothing is lost.
    regression.refresh_from_db()
    assert (
        _files(epoch, regression) == before and regression.status == "trained" and regression.certificate_sha256 == sha
    )
    assert (regression.generation, regression.trained_generation) == (1, 0)
    job = run_inline(job)
    assert job.status == JobStatus.SUCCEEDED, job.error
    after = _files(epoch, regression)
    regression.refresh_from_db()
    assert set(after) == set(before) and after["certificate.json"] != before["certificate.json"]
    assert _trained(after["certificate.json"]) == _trained(before["certificate.json"])  # same seed, same model
    assert (regression.generation, regression.trained_generation) == (1, 1) and regression.certificate_sha256 != sha
    assert not any((epoch_dir(epoch.id) / RETRAINING).iterdir())


def test_a_retrain_that_fails_leaves_the_old_files_in_place(trained_unit_test):
    epoch, regression = trained_unit_test
    before = _files(epoch, regression)
    with full_disk(epoch_dir(epoch.id) / RETRAINING, size="16k"):
        job = run_inline(regression_train_enqueue(regression=regression, retrain=True, inline=True))
        assert job.status == JobStatus.FAILED and "No space left on device" in job.error
    regression.refresh_from_db()
    assert _files(epoch, regression) == before and regression.status == "trained" and regression.trained_generation == 0


def test_an_exported_epoch_is_frozen_until_an_administrator_withdraws_the_export(
    trained_unit_test, api_client, administrator, django_user_model
):
    chief = APIClient()
    chief.force_authenticate(administrator)  # retraining and deleting are an administrator's
    epoch, regression = trained_unit_test
    zip_path = epoch_dir(epoch.id) / f"{epoch.id}.zip"
    zip_path.write_bytes(b"PK\x05\x06" + b"\0" * 18)  # the export's file: it is kept
    EpochExport.objects.create(
        epoch=epoch,
        prediction_model_id="KM_X",
        regression_ids=[regression.config_id],
        file_path=zip_path.name,
        sha256="0" * 64,
        size=22,
        verified=True,
    )
    Epoch.objects.filter(pk=epoch.pk).update(status=EpochStatus.EXPORTED)
    before = _files(epoch, regression)

    answer = chief.post(f"/api/regressions/{regression.config_id}/retrain/", {}, format="json")
    assert answer.status_code == 409 and "withdraws the export" in answer.json()["message"]
    assert chief.delete(f"/api/epochs/{epoch.id}/").status_code == 409
    admin = site._registry[Epoch]
    epoch.refresh_from_db()
    # Every field read-only (the floats among them shown rounded, and left out of the form).
    assert set(admin.readonly_field_names(None, epoch)) == {f.name for f in Epoch._meta.fields}
    assert not admin.has_delete_permission(
        type("R", (), {"user": django_user_model(is_superuser=True, is_active=True, is_staff=True)})(), epoch
    )

    # Withdrawing needs an administrator (an operator is refused) and a reason.
    assert (
        api_client.post(
            f"/api/epochs/{epoch.id}/withdraw-export/", {"reason": "wrong model"}, format="json"
        ).status_code
        == 403
    )
    assert administrator.has_perm("epochs.withdraw_export")
    assert chief.post(f"/api/epochs/{epoch.id}/withdraw-export/", {"reason": ""}, format="json").status_code == 400
    answer = chief.post(f"/api/epochs/{epoch.id}/withdraw-export/", {"reason": "wrong model"}, format="json")
    assert answer.status_code == 200 and answer.json()["withdrawal_reason"] == "wrong model"
    epoch.refresh_from_db()
    assert epoch.status == EpochStatus.READY and zip_path.exists() and _files(epoch, regression) == before
    assert chief.post(f"/api/regressions/{regression.config_id}/retrain/", {}, format="json").status_code == 202
