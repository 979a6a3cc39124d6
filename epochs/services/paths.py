"""Where an epoch's and a candle store's files live."""
from pathlib import Path

from django.conf import settings

from core.files import safe_join

EPOCH_SUBDIRS = (
    "candlesticks",
    "regression_training_configs",
    "regression_training_checkpoints",
    "regression_batched_certificates",
    "regressions",
    "prediction_models",
    "prediction_models/assets",
    "prediction_models/configs",
    "prediction_models/profitable_configs",
)


def epoch_dir(epoch_id: str) -> Path:
    return safe_join(settings.EPOCHS_ROOT, epoch_id)


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
    return epoch_dir(epoch_id) / "candlesticks"


def candle_store_dir(name: str) -> Path:
    return safe_join(settings.CANDLES_ROOT, name)
