"""Reads of epochs and candle stores."""
from __future__ import annotations

from django.db.models import QuerySet

from epochs.models import CandlestickSet, Epoch, EpochExport


def epoch_list() -> QuerySet[Epoch]:
    return Epoch.objects.select_related("candlestick_set", "created_by").order_by("-created")


def default_epoch(epochs: QuerySet[Epoch], requested: str | None = None) -> Epoch | None:
    """The epoch a page shows: the one asked for, else the newest built one (never a failed or unbuilt one)."""
    from epochs.choices import EpochStatus

    return (epochs.filter(pk=requested).first() if requested else None) or epochs.filter(
        status__in=(EpochStatus.READY, EpochStatus.EXPORTED)).first()


def epoch_picker(requested: str | None = None) -> dict:
    """The epochs of a page's picker and the one it shows (``?epoch=``, else the newest built one)."""
    epochs = Epoch.objects.order_by("-created")
    return {"epochs": epochs, "epoch": default_epoch(epochs, requested)}


def candlestick_set_list() -> QuerySet[CandlestickSet]:
    return CandlestickSet.objects.order_by("name")


def epoch_export_list() -> QuerySet[EpochExport]:
    return EpochExport.objects.select_related("epoch", "created_by").order_by("-created")


def epoch_file_limits():
    """The bounds of an uploaded Epoch File, from the settings."""
    from django.conf import settings

    from epochs.engine.epoch_file import EpochFileLimits

    return EpochFileLimits(**settings.EPOCH_FILE_LIMITS, echoed_chars=settings.API_MAX_ECHOED_CHARS)


def epoch_file_inspection(upload, *, name: str) -> dict:
    """What Epoca would install from an uploaded Epoch File (raises ``EpochFileError``)."""
    from epochs.engine.epoch_file import inspect_epoch_file

    return inspect_epoch_file(upload, name=name, limits=epoch_file_limits())
