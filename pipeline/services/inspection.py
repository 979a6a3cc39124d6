"""What an uploaded Epoch File holds: read and inspected here, so the page and the API read no file."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from pipeline.engine.epoch_file import EpochFileLimits, inspect_epoch_file


def epoch_file_limits() -> EpochFileLimits:
    """The bounds of an uploaded Epoch File, from the settings."""
    return EpochFileLimits(**settings.EPOCH_FILE_LIMITS, echoed_chars=settings.API_MAX_ECHOED_CHARS)


def epoch_file_inspection(upload: Any, *, name: str) -> dict:
    """What Epoca would install from an uploaded Epoch File (raises ``EpochFileError``)."""
    return inspect_epoch_file(upload, name=name, limits=epoch_file_limits())
