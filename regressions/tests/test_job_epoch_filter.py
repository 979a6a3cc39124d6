"""The jobs of one epoch, on the jobs page and in the API: those naming it, and those whose target
(its batches, its regressions) belongs to it; never another epoch's."""

import pytest

from cluster.models import Job
from regressions.models import RegressionConfig, TrainingBatch
from testing.regression_fakes import fake_grid_epoch

pytestmark = pytest.mark.django_db


def _job(kind: str, target=None, **params) -> Job:
    job = Job(kind=kind, status="succeeded", params=params)
    job.set_target(target)
    job.save()
    return job


def test_the_jobs_of_an_epoch_are_found_by_target_and_by_settings(admin_client, api_client):
    mine, other = fake_grid_epoch("_JOBSA", profile="smoke"), fake_grid_epoch("_JOBSB", profile="smoke")
    batch = TrainingBatch.objects.filter(epoch=mine).first()
    config = RegressionConfig.objects.filter(epoch=mine).first()
    expected = {
        _job("epochs.create", mine, epoch_id=mine.id).pk,
        _job("regressions.train_batch", batch, batch_id=batch.pk).pk,
        _job("regressions.train", config, regression_id=config.pk).pk,
        _job("cluster.pull", None, epoch=mine.id).pk,
    }
    _job("epochs.create", other, epoch_id=other.id)
    _job("regressions.train_batch", TrainingBatch.objects.filter(epoch=other).first())
    _job("cluster.selfcheck")
    rows = api_client.get(f"/api/jobs/?epoch={mine.id}&page_size=50").json()["results"]
    assert {row["id"] for row in rows} == expected
    page = admin_client.get(f"/jobs/?epoch={mine.id}")
    assert {job.pk for job in page.context["jobs"]} == expected
    html = page.content.decode()
    assert f'name="epoch" value="{mine.id}"' in html
    assert f'<option value="{mine.id}">' in html and f'<option value="{other.id}">' in html
    # The filter combines with the others.
    only = admin_client.get(f"/jobs/?epoch={mine.id}&kind=regressions.train").context["jobs"]
    assert [job.kind for job in only] == ["regressions.train"]
    assert api_client.get(f"/api/jobs/?epoch={'E' * 101}").status_code == 400
    assert admin_client.get(f"/jobs/?epoch={'E' * 101}").status_code == 200
