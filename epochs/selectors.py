"""Reads of epochs and candle stores."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet

from epochs.choices import EpochStatus
from epochs.models import CandlestickSet, Epoch, EpochExport


def epoch_list() -> QuerySet[Epoch]:
    # ``has_export``: whether an Epoch File can be downloaded (the API's ``download_url``).
    exports = EpochExport.objects.filter(epoch=OuterRef("pk"))
    return (
        Epoch.objects.select_related("candlestick_set", "created_by")
        .annotate(has_export=Exists(exports))
        .order_by("-created")
    )


def default_epoch(epochs: QuerySet[Epoch], requested: str | None = None) -> Epoch | None:
    """The epoch a page shows: the one asked for, else the newest built one (never a failed or unbuilt one)."""
    return (epochs.filter(pk=requested).first() if requested else None) or epochs.filter(
        status__in=(EpochStatus.READY, EpochStatus.EXPORTED)
    ).first()


def epoch_picker(requested: str | None = None) -> dict:
    """The epochs of a page's picker and the one it shows (``?epoch=``, else the newest built one)."""
    epochs = Epoch.objects.order_by("-created")
    return {"epochs": epochs, "epoch": default_epoch(epochs, requested)}


def candlestick_set_list() -> QuerySet[CandlestickSet]:
    return CandlestickSet.objects.order_by("name")


def epoch_export_list() -> QuerySet[EpochExport]:
    return EpochExport.objects.select_related("epoch", "created_by").order_by("-created")
