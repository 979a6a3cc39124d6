from epochs.models.candles import CandlestickSet
from epochs.models.epoch import Epoch

__all__ = ["CandlestickSet", "Epoch"]
