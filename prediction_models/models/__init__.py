from prediction_models.models.forward_test import ForwardTest
from prediction_models.models.model import PredictionModel
from prediction_models.models.search import ConfigChunk, PredictionModelSearch, ProfitableConfig

__all__ = ["ConfigChunk", "ForwardTest", "PredictionModel", "PredictionModelSearch", "ProfitableConfig"]
