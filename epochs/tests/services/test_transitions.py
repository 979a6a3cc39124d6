"""Epoch status transitions: conditional updates that say whether they applied; pages read the row, not the folder."""

import shutil

import pytest

from core.errors import ApplicationError
from core.files import human_size
from epochs.choices import EpochStatus
from epochs.models import CandlestickSet, Epoch
from epochs.services.epochs import epoch_build
from epochs.services.pages import epoch_disk_usage_record
from epochs.services.paths import epoch_dir

pytestmark = pytest.mark.django_db


def _epoch(status, epoch_id="_TRANSITIONS"):
    candles, _ = CandlestickSet.objects.get_or_create(name="transitions")
    return Epoch.objects.create(id=epoch_id, candlestick_set=candles, status=status)


def _stored(epoch):
    return Epoch.objects.values_list("status", "error").get(pk=epoch.pk)


def test_a_transition_from_the_wrong_status_does_not_apply():
    epoch = _epoch(EpochStatus.READY)
    assert epoch.mark_failed(error="too late") is False
    assert epoch.mark_ready() is False
    assert _stored(epoch) == (EpochStatus.READY, "") and epoch.status == EpochStatus.READY


def test_a_transition_applies_to_the_row_and_the_instance():
    epoch = _epoch(EpochStatus.CREATING)
    assert epoch.mark_ready(prediction_rows=42, data_fingerprint="a" * 64) is True
    assert (epoch.status, epoch.prediction_rows) == (EpochStatus.READY, 42)
    assert Epoch.objects.values_list("status", "prediction_rows", "data_fingerprint").get(pk=epoch.pk) == (
        EpochStatus.READY,
        42,
        "a" * 64,
    )


def test_of_two_racing_withdrawals_only_one_applies():
    epoch = _epoch(EpochStatus.EXPORTED)
    first, second = Epoch.objects.get(pk=epoch.pk), Epoch.objects.get(pk=epoch.pk)
    assert first.mark_export_withdrawn() is True
    # The second still reads "exported" in memory: the row decides, not the instance.
    assert second.status == EpochStatus.EXPORTED and second.mark_export_withdrawn() is False
    assert _stored(epoch)[0] == EpochStatus.READY


def test_an_exported_epoch_is_not_built_again():
    epoch = _epoch(EpochStatus.EXPORTED)
    with pytest.raises(ApplicationError, match="is exported"):
        epoch_build(epoch=epoch, progress=lambda *args: None)
    assert _stored(epoch) == (EpochStatus.EXPORTED, "")


def test_a_failure_after_the_epoch_is_ready_leaves_it_ready():
    epoch = _epoch(EpochStatus.CREATING)
    assert epoch.mark_creating() is True and epoch.mark_ready() is True
    assert epoch.mark_failed(error="cancelled after saving") is False
    assert _stored(epoch) == (EpochStatus.READY, "")


def test_the_list_page_shows_the_stored_size_without_the_folder(client, make_user):
    epoch = _epoch(EpochStatus.READY)
    folder = epoch_dir(epoch.id)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "epoch.json").write_bytes(b"x" * 3000)
    assert epoch_disk_usage_record(epoch=epoch) == 3000
    shutil.rmtree(folder)
    client.force_login(make_user("viewer"))
    page = client.get("/epochs/")
    assert page.status_code == 200
    assert human_size(3000) in page.content.decode()
    assert not folder.exists()  # nothing on the list page (re)creates or reads it
