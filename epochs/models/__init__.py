from epochs.models.candles import CandlestickSet
from epochs.models.epoch import Epoch
from epochs.models.export import EpochExport

__all__ = ["CandlestickSet", "Epoch", "EpochExport"]
