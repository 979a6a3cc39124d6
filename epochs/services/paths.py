"""Where an epoch's and a candle store's files live."""

from pathlib import Path

from django.conf import settings

from core.files import safe_join
from epochs.engine.layout import EpochLayout


def epoch_dir(epoch_id: str) -> Path:
    return safe_join(settings.EPOCHS_ROOT, epoch_id)


def epoch_layout(epoch_id: str) -> EpochLayout:
    """Every folder and file of the epoch's folder on this machine."""
    return EpochLayout(epoch_dir(epoch_id))


def shown_path(path: Path | str) -> str:
    """``path`` as errors show it: relative to the epochs folder (``<EPOCH_ID>/...``), never the server's folders."""
    path = Path(path)
    for base in (settings.EPOCHS_ROOT, settings.CANDLES_ROOT):
        try:
            return str(path.resolve().relative_to(Path(base).resolve()))
        except ValueError:
            continue
    return path.name


def epoch_candles_dir(epoch_id: str) -> Path:
    return epoch_layout(epoch_id).candlesticks


def candle_store_dir(name: str) -> Path:
    return safe_join(settings.CANDLES_ROOT, name)
