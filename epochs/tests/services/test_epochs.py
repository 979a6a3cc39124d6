"""Candle imports and epoch creation through the job system, on real candles."""

import json
import zipfile
from unittest import mock

import pandas as pd
import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from cluster.choices import JobStatus
from cluster.jobs.cli import run_inline
from cluster.models import Job
from epochs.choices import EpochStatus
from epochs.models import Epoch
from epochs.services.epochs import epoch_create, epoch_delete
from epochs.services.paths import candle_store_dir, epoch_dir
from testing.candles import SMALL_RANGE, import_months

pytestmark = pytest.mark.django_db


def _real_closes(months):
    """The 15-minute closes of the real months, read with plain pandas (independent of the store)."""
    frames = []
    folder = settings.BINANCE_MIRROR_DIR / "data/spot/monthly/klines/BTCUSDT/1m"
    for month in months:
        with zipfile.ZipFile(folder / f"BTCUSDT-1m-{month}.zip") as archive:
            frames.append(pd.read_csv(archive.open(archive.namelist()[0]), header=None, usecols=[0, 4, 6]))
    raw = pd.concat(frames, ignore_index=True)
    bucket = raw[0] // (15 * 60_000)
    grouped = raw.groupby(bucket)
    return pd.DataFrame(
        {
            "ot": bucket.drop_duplicates().to_numpy() * 15 * 60_000,
            "c": grouped[4].last().to_numpy(),
            "ct": grouped[6].last().to_numpy(),
        }
    )


def test_import_summarises_the_store(candle_set):
    assert candle_set.months == 3
    assert candle_set.candles > 125_000
    assert candle_set.first_open_time == 1609459200000  # 2021-01-01 00:00 UTC
    assert candle_set.report["gaps"]["count"] == candle_set.gap_count
    # A second import of the same months skips them (verified by checksum).
    _, job = import_months(*SMALL_RANGE)
    assert job.result["months_skipped"] == ["2021-01", "2021-02", "2021-03"] and job.result["candles_imported"] == 0


def test_create_epoch_from_real_candles(candle_set):
    epoch, job = epoch_create(candlestick_set=candle_set, id="_SMALL", epoch_width=1, sma_window_size=25, inline=True)
    job = run_inline(job)
    assert job.status == JobStatus.SUCCEEDED, job.error
    epoch.refresh_from_db()
    assert epoch.status == EpochStatus.READY and epoch.prediction_rows == 2880
    folder = epoch_dir("_SMALL")
    config = json.loads((folder / "epoch.json").read_text())
    assert list(config) == [
        "seed",
        "id",
        "sma_window_size",
        "train_split",
        "validation_split",
        "start",
        "end",
        "test_ds_start",
        "test_ds_end",
        "highest_price_sma",
        "lowest_price_sma",
        "regression_lookback",
        "regression_predictions",
        "exchange_fee",
        "position_size",
        "leverage",
        "idle_minutes_on_position_close",
    ]
    # Recompute independently: the last 2880 15-minute candles of the three months, SMA 25.
    closes = _real_closes(["2021-01", "2021-02", "2021-03"])
    sma = closes.c.rolling(25).mean()
    kept = closes.iloc[-2880:]
    assert config["start"] == int(kept.ot.iloc[0]) and config["end"] == int(kept.ct.iloc[-1])
    assert config["test_ds_start"] == int(kept.ot.iloc[int(2880 * 0.75)])
    # The default preset's bounds come from the rows before the holdout (the last quarter of the test range).
    holdout_row = 2160 + round(720 * 0.75)
    before_holdout = sma.iloc[-2880:].iloc[:holdout_row]
    assert config["highest_price_sma"] == pytest.approx(before_holdout.max(), rel=1e-12)
    assert config["lowest_price_sma"] == pytest.approx(before_holdout.min(), rel=1e-12)
    assert (folder / "_SMALL_receipt.txt").read_text().startswith("_SMALL\n")
    assert "UTC" in (folder / "_SMALL_receipt.txt").read_text()
    meta = json.loads((folder / "epoch_settings.json").read_text())
    assert meta["data_fingerprint"] == epoch.data_fingerprint and len(epoch.data_fingerprint) == 64
    assert meta["purge"] is True and meta["holdout_share"] == 0.25
    assert {p.name for p in (folder / "candlesticks").iterdir()} == {
        "candlesticks.parquet",
        "prediction_candlesticks.parquet",
        "normalized_prediction_candlesticks.parquet",
    }


def test_original_preset_turns_purge_and_holdout_off(candle_set):
    epoch, job = epoch_create(candlestick_set=candle_set, id="_ORIG", epoch_width=1, preset="original", inline=True)
    assert (epoch.purge, epoch.holdout_share) == (False, 0.0)
    assert epoch.ranking == "profit"  # the original's order of the profitable configs
    assert run_inline(job).status == JobStatus.SUCCEEDED
    # The original's normalisation bounds: the SMA's range over the whole epoch.
    sma = _real_closes(["2021-01", "2021-02", "2021-03"]).c.rolling(25).mean().iloc[-2880:]
    config = json.loads((epoch_dir("_ORIG") / "epoch.json").read_text())
    assert (config["highest_price_sma"], config["lowest_price_sma"]) == (
        pytest.approx(sma.max(), rel=1e-12),
        pytest.approx(sma.min(), rel=1e-12),
    )


@pytest.mark.parametrize("bad_id", ["_A/B", "_..", "../_X", "_ab", "_KR_X", "_X"])
def test_bad_epoch_ids_are_refused_and_nothing_is_written(candle_set, bad_id):
    settings.EPOCHS_ROOT.mkdir(parents=True, exist_ok=True)
    before = sorted(settings.EPOCHS_ROOT.parent.rglob("*"))
    with pytest.raises(ValidationError) as info:
        epoch_create(candlestick_set=candle_set, id=bad_id, epoch_width=1)
    assert "id" in info.value.message_dict
    assert not Epoch.objects.exists()
    assert sorted(settings.EPOCHS_ROOT.parent.rglob("*")) == before


def test_float_parameters_are_accepted_and_ranges_reported_per_field(candle_set):
    with pytest.raises(ValidationError) as info:
        epoch_create(
            candlestick_set=candle_set, id="_RANGES", epoch_width=1, train_split=0.99, exchange_fee=0.5, leverage=11
        )
    assert set(info.value.message_dict) == {"train_split", "exchange_fee", "leverage"}
    epoch, _ = epoch_create(
        candlestick_set=candle_set, id="_FLOATS", train_split=0.8, exchange_fee=0.05, epoch_width=1, inline=True
    )
    assert (epoch.train_split, epoch.exchange_fee) == (0.8, 0.05)


def test_an_epoch_wider_than_the_data_is_refused_before_it_is_queued(candle_set):
    with pytest.raises(ValidationError) as info:
        epoch_create(candlestick_set=candle_set, id="_WIDE", epoch_width=48, inline=True)
    message = " ".join(info.value.message_dict["epoch_width"])
    # It says how much is needed and how much data there is.
    assert "needs 138264 prediction candles of 15 minutes" in message
    assert "hold 8640 (90.0 days, 2021-01-01T00:00:00Z to 2021-04-01T00:00:00Z)" in message
    assert not Epoch.objects.filter(pk="_WIDE").exists() and not Job.objects.filter(kind="epochs.create").exists()
    assert not epoch_dir("_WIDE").exists()


def test_create_epoch_command(candle_set, capsys):
    call_command("create_epoch", "--id", "_CLI", "--epoch_width", "1", "--train_split", "0.7")
    assert Epoch.objects.get(pk="_CLI").status == EpochStatus.READY
    assert '"train_split": 0.7' in capsys.readouterr().out
    with pytest.raises(CommandError, match="train_split"):
        call_command("create_epoch", "--id", "_CLI2", "--train_split", "0.1")


def test_import_command_refuses_a_missing_source(db, tmp_path):
    with pytest.raises(CommandError, match="not at the source.*a retry resumes there"):
        call_command(
            "import_candlesticks", "--from", "2021-01", "--to", "2021-01", "--source", str(tmp_path), "--set", "empty"
        )


def test_epoch_api_and_pages(candle_set, api_client, client, user):
    with mock.patch("cluster.services.jobs._send"):
        response = api_client.post("/api/epochs/", {"id": "_API", "epoch_width": 1}, format="json")
    assert response.status_code == 202, response.content
    job = run_inline(__import__("cluster.models", fromlist=["Job"]).Job.objects.get(pk=response.json()["id"]))
    assert job.status == JobStatus.SUCCEEDED
    bad = api_client.post("/api/epochs/", {"id": "_A/../B"}, format="json")
    assert bad.status_code == 400 and "id" in bad.json()
    assert api_client.get("/api/epochs/_API/").json()["status"] == "ready"
    assert api_client.get("/api/candlestick-sets/").json()["count"] == 1
    client.force_login(user)
    page = client.get("/epochs/_API/")
    assert page.status_code == 200 and b"Plotly.newPlot" in page.content and b"epoch-price" in page.content
    assert client.get("/epochs/candles/").status_code == 200
    assert client.get("/epochs/").status_code == 200


def test_delete_an_epoch_with_its_files_keeps_the_candle_store(candle_set, administrator):
    api_client = APIClient()
    api_client.force_authenticate(administrator)  # deleting is an administrator's

    _epoch, job = epoch_create(candlestick_set=candle_set, id="_GONE", epoch_width=1, inline=True)
    assert run_inline(job).status == JobStatus.SUCCEEDED
    assert epoch_dir("_GONE").exists()
    response = api_client.delete("/api/epochs/_GONE/")
    assert response.status_code == 204
    assert not Epoch.objects.filter(pk="_GONE").exists()
    # The folder goes once the transaction commits (see the next test); the store is never touched.
    assert candle_store_dir(candle_set.name).exists()


@pytest.mark.django_db(transaction=True)
def test_delete_removes_the_folder_after_commit(candle_set):
    _epoch, job = epoch_create(candlestick_set=candle_set, id="_GONE2", epoch_width=1, inline=True)
    assert run_inline(job).status == JobStatus.SUCCEEDED
    store_before = sorted(str(p) for p in candle_store_dir(candle_set.name).rglob("*"))
    epoch_delete(epoch=Epoch.objects.get(pk="_GONE2"))
    assert not epoch_dir("_GONE2").exists()
    assert sorted(str(p) for p in candle_store_dir(candle_set.name).rglob("*")) == store_before
