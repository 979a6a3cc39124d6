"""One name per concept: training batches are ``/api/training-batches/``; the first name,
``/api/regression-batches/``, still answers and the schema marks it deprecated."""

import pytest

from regressions.models import TrainingBatch
from testing.regression_fakes import fake_grid_epoch

pytestmark = pytest.mark.django_db


def test_both_paths_list_the_same_batches(api_client):
    fake_grid_epoch("_NAMES", profile="tiny", untrained=0)
    new = api_client.get("/api/training-batches/?page_size=100").json()
    old = api_client.get("/api/regression-batches/?page_size=100").json()
    assert new["count"] == TrainingBatch.objects.count() > 0
    assert old == new


def test_the_schema_marks_only_the_old_path_deprecated(api_client):
    paths = api_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()["paths"]
    old = {p: ops for p, ops in paths.items() if p.startswith("/api/regression-batches/")}
    new = {p: ops for p, ops in paths.items() if p.startswith("/api/training-batches/")}
    assert len(old) == len(new) == 5
    assert all(op.get("deprecated") is True for ops in old.values() for op in ops.values())
    assert not any(op.get("deprecated") for ops in new.values() for op in ops.values())
    assert (
        paths["/api/regression-batches/{id}/train/"]["post"]["requestBody"]
        == (paths["/api/training-batches/{id}/train/"]["post"]["requestBody"])
    )


def test_the_api_root_admin_and_pages_say_training_batches(api_client, admin_client):
    root = api_client.get("/api/", HTTP_ACCEPT="application/json").json()
    assert "training-batches" in root and "regression-batches" not in root  # the alias answers, unlisted
    assert "Training batches" in admin_client.get("/admin/").content.decode()
    epoch = fake_grid_epoch("_NAMES2", profile="tiny", untrained=0)
    html = admin_client.get(f"/regressions/?epoch={epoch.pk}").content.decode()
    assert "Training batches" in html and "/api/training-batches/" in html and "/api/regression-batches/" not in html
