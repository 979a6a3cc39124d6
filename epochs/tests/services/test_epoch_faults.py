"""Epoch creation under faults and bad input: it always ends ready or failed, with the reason."""

import json
from datetime import UTC, datetime

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from cluster.choices import JobStatus
from cluster.jobs.cli import run_inline
from cluster.jobs.reaper import reap_stale_jobs
from cluster.models import Job
from epochs.choices import EpochStatus
from epochs.models import Epoch
from epochs.services.epochs import epoch_create
from epochs.services.paths import epoch_dir
from testing.candles import import_months
from testing.mounts import full_disk, read_only

pytestmark = pytest.mark.django_db

# 2020-02-19 11:36 to 17:30 UTC: the longest gap of the shared 2020-2024 candles (354 minutes).
GAP_START = 1582112100000 + 60_000
MARCH_2020 = int(datetime(2020, 3, 1, tzinfo=UTC).timestamp() * 1000)


def _failed_creation(candle_set, epoch_id):
    epoch, job = epoch_create(candlestick_set=candle_set, id=epoch_id, epoch_width=1, inline=True)
    job = run_inline(job)
    epoch.refresh_from_db()
    return epoch, job


@pytest.mark.parametrize(
    "fault, reason", [(full_disk, "No space left on device"), (read_only, "Read-only file system")]
)
def test_a_creation_on_a_full_or_read_only_disk_ends_failed_with_the_reason(
    candle_set, tmp_path, settings, fault, reason
):
    root = tmp_path / "epochs"
    with fault(root):
        settings.EPOCHS_ROOT = root
        epoch, job = _failed_creation(candle_set, "_FULL")
        assert job.status == JobStatus.FAILED and reason in job.error, job.error
        assert epoch.status == EpochStatus.FAILED and reason in epoch.error
        assert job.attempts == 1 and job.permanent_failure and not any(reap_stale_jobs().values())
        job.refresh_from_db()
        assert job.status == JobStatus.FAILED  # it stops: nothing queues it again
        assert not any(root.iterdir())  # no half-written folder, no staging folder
    # The failed epoch can be deleted and its id used again.
    call_command("delete_epoch", "--epoch", "_FULL")
    assert not Epoch.objects.filter(pk="_FULL").exists()


@pytest.fixture
def gap_set(db):
    if not settings.BINANCE_MIRROR_DIR.exists():
        pytest.skip(f"real candles not found at {settings.BINANCE_MIRROR_DIR} (set BINANCE_MIRROR_DIR)")
    return import_months("2020-01", "2020-03", name="binance-2020q1")[0]


def test_an_epoch_over_a_gap_longer_than_allowed_is_refused(gap_set):
    epoch, job = epoch_create(
        candlestick_set=gap_set, id="_GAPPY", epoch_width=1, data_end=MARCH_2020 - 1, max_gap_minutes=300, inline=True
    )
    job = run_inline(job)
    epoch.refresh_from_db()
    assert job.status == JobStatus.FAILED and epoch.status == EpochStatus.FAILED
    assert "miss 354 minutes from 2020-02-19T11:36:00.000Z" in epoch.error and "max_gap_minutes 300" in epoch.error
    assert not epoch_dir("_GAPPY").exists()


def test_every_gap_inside_the_range_is_listed(gap_set, api_client, client, user):
    epoch, job = epoch_create(candlestick_set=gap_set, id="_GAPS", epoch_width=1, data_end=MARCH_2020 - 1, inline=True)
    assert run_inline(job).status == JobStatus.SUCCEEDED
    epoch.refresh_from_db()
    gaps = epoch.gaps
    assert gaps["longest"] == {"start": GAP_START, "end": GAP_START + 354 * 60_000 - 1, "minutes": 354}
    inside = [g for g in gaps["gaps"] if epoch.start <= g["start"] <= epoch.end]
    assert gaps["count"] == len(gaps["gaps"]) == len(inside) >= 2  # the 60-minute one of 2020-02-09 too
    assert gaps["missing_minutes"] == sum(g["minutes"] for g in gaps["gaps"])
    folder = epoch_dir("_GAPS")
    assert json.loads((folder / "epoch_settings.json").read_text())["gaps"] == gaps
    receipt = (folder / "_GAPS_receipt.txt").read_text()
    assert f"Count: {gaps['count']}" in receipt and "Longest: 354 minutes from 19/02/2020, 11:36:00 UTC" in receipt
    assert "19/02/2020, 11:36:00 UTC to 19/02/2020, 17:30:00 UTC: 354 minutes" in receipt
    assert api_client.get("/api/epochs/_GAPS/").json()["gaps"] == gaps
    client.force_login(user)
    page = client.get("/epochs/_GAPS/").content.decode()
    assert f"{gaps['count']} gaps ({gaps['missing_minutes']} minutes)" in page and "354 minutes" in page


def test_bad_values_are_all_reported_at_validation(candle_set):
    with pytest.raises(ValidationError) as info:
        epoch_create(
            candlestick_set=candle_set,
            id="_BAD",
            epoch_width=1,
            data_end=0,
            leverage=11,
            train_split=0.1,
            regression_grid_profile="no-such-profile",
        )
    errors = info.value.message_dict
    assert set(errors) == {"data_end", "leverage", "train_split", "regression_grid_profile"}
    assert "not after the first imported candle" in errors["data_end"][0]
    assert "grid profile 'no-such-profile' not found" in errors["regression_grid_profile"][0]
    assert not Epoch.objects.exists() and not Job.objects.filter(kind="epochs.create").exists()
    with pytest.raises(CommandError, match="data_end: 0 ms"):
        call_command("create_epoch", "--id", "_ZERO", "--epoch_width", "1", "--data_end", "0")


def test_a_preset_never_overrides_an_explicit_value(candle_set):
    with pytest.raises(CommandError, match="holdout_share: The original preset fixes holdout_share at 0.0; got 0.3"):
        call_command(
            "create_epoch", "--id", "_PRESET", "--epoch_width", "1", "--preset", "original", "--holdout_share", "0.3"
        )
    epoch, _ = epoch_create(
        candlestick_set=candle_set, id="_PRESET", epoch_width=1, preset="original", holdout_share=0.0, inline=True
    )
    assert (epoch.purge, epoch.holdout_share) == (False, 0.0)


def test_a_failed_epoch_is_never_the_default_of_the_pages(candle_set, client, user):
    _ready, job = epoch_create(candlestick_set=candle_set, id="_GOOD", epoch_width=1, inline=True)
    assert run_inline(job).status == JobStatus.SUCCEEDED
    Epoch.objects.create(id="_BROKEN", candlestick_set=candle_set, status=EpochStatus.FAILED, error="disk full")
    client.force_login(user)
    for page in ("/regressions/", "/prediction-models/"):
        assert client.get(page).context["epoch"].pk == "_GOOD"
    detail = client.get("/epochs/_BROKEN/").content.decode()
    assert "failed: disk full" in detail and "0 prediction candles" not in detail


def test_delete_epoch_removes_a_finished_epoch_with_its_files(
    candle_set, administrator, django_capture_on_commit_callbacks
):
    api_client = APIClient()
    api_client.force_authenticate(administrator)  # deleting an epoch is an administrator's
    _epoch, job = epoch_create(candlestick_set=candle_set, id="_DONE", epoch_width=1, inline=True)
    assert run_inline(job).status == JobStatus.SUCCEEDED
    assert epoch_dir("_DONE").is_dir()
    with django_capture_on_commit_callbacks(execute=True):
        assert api_client.delete("/api/epochs/_DONE/").status_code == 204
    assert not Epoch.objects.filter(pk="_DONE").exists() and not epoch_dir("_DONE").exists()
    with pytest.raises(CommandError, match="No epoch '_DONE'"):
        call_command("delete_epoch", "--epoch", "_DONE")
