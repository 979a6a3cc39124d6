"""The epoch objects of the API: ms fields as the contract has them, their ISO 8601, download URLs."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from epochs.choices import EpochStatus
from epochs.models import CandlestickSet, Epoch, EpochExport

pytestmark = pytest.mark.django_db

START = 1609459200000  # 2021-01-01T00:00:00Z


def _epoch(epoch_id: str, candles: CandlestickSet) -> Epoch:
    return Epoch.objects.create(
        id=epoch_id,
        candlestick_set=candles,
        status=EpochStatus.READY,
        start=START,
        end=START + 90 * 86_400_000 - 1,
        test_ds_start=START + 63 * 86_400_000 + 12 * 3_600_000,
        test_ds_end=None,
    )


@pytest.fixture
def candles():
    return CandlestickSet.objects.create(name="api-fields")


def test_an_epoch_serves_its_ms_fields_unchanged_and_their_iso_beside(api_client, candles):
    _epoch("_FIELDS", candles)
    body = api_client.get("/api/epochs/_FIELDS/").json()
    assert (body["start"], body["end"]) == (START, START + 90 * 86_400_000 - 1)
    assert body["start_iso"] == "2021-01-01T00:00:00Z"
    assert body["end_iso"] == "2021-03-31T23:59:59Z"
    assert body["test_ds_start_iso"] == "2021-03-05T12:00:00Z"
    assert body["test_ds_end"] is None and body["test_ds_end_iso"] is None


def test_download_url_appears_with_the_first_export(api_client, candles):
    epoch = _epoch("_DOWNLOAD", candles)
    assert api_client.get("/api/epochs/_DOWNLOAD/").json()["download_url"] is None
    export = EpochExport.objects.create(epoch=epoch, prediction_model_id="m", file_path="x.zip", sha256="0", size=1)
    body = api_client.get("/api/epochs/_DOWNLOAD/").json()
    assert body["download_url"] == "http://testserver/api/epochs/_DOWNLOAD/download/"
    exports = api_client.get("/api/epoch-exports/").json()["results"]
    assert [e["download_url"] for e in exports] == [f"http://testserver/api/epoch-exports/{export.pk}/download/"]


def test_the_epoch_list_asks_no_query_per_epoch_for_its_download_url(api_client, candles):
    def queries(count: int) -> int:
        for n in range(Epoch.objects.count(), count):
            epoch = _epoch(f"_LIST{n:02d}", candles)
            EpochExport.objects.create(epoch=epoch, prediction_model_id="m", file_path="x.zip", sha256="0", size=1)
        with CaptureQueriesContext(connection) as captured:
            assert len(api_client.get("/api/epochs/").json()["results"]) == count
        return len(captured)

    assert queries(2) == queries(12)


def test_the_schema_says_which_field_is_which(api_client):
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    fields = schema["components"]["schemas"]["Epoch"]["properties"]
    assert fields["start_iso"]["format"] == "date-time"
    assert "epoch milliseconds" in fields["start_iso"]["description"]
    assert "Epoca contract" in fields["start"]["description"] and "start_iso" in fields["start"]["description"]
    assert "download" in fields["download_url"]["description"]


def test_a_candlestick_set_serves_its_coverage_in_both_units(api_client):
    CandlestickSet.objects.create(name="cover", first_open_time=START, last_close_time=START + 86_400_000 - 1)
    body = next(c for c in api_client.get("/api/candlestick-sets/").json()["results"] if c["name"] == "cover")
    assert (body["first_open_time"], body["first_open_time_iso"]) == (START, "2021-01-01T00:00:00Z")
    assert body["last_close_time_iso"] == "2021-01-01T23:59:59Z"
