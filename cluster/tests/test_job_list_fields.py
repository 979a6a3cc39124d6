"""The job list carries what the Epoca GUI follows jobs by, with a fixed number of queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cluster.models import Job
from epochs.models import CandlestickSet

pytestmark = pytest.mark.django_db


def test_the_job_list_has_attempts_heartbeat_and_target(api_client):
    candles = CandlestickSet.objects.create(name="jobs-target")
    for _i in range(30):
        job = Job(kind="epochs.import_candles", max_attempts=4)
        job.set_target(candles)
        job.save()
    counts = []
    for size in (2, 30):
        with CaptureQueriesContext(connection) as queries:
            rows = api_client.get(f"/api/jobs/?page_size={size}").json()["results"]
        counts.append(len(queries))
        assert len(rows) == size
    assert counts[0] == counts[1], counts
    row = rows[0]
    assert row["max_attempts"] == 4 and row["heartbeat_at"] is None
    assert row["target_type"] == "candlestickset" and row["target_id"] == str(candles.pk)
