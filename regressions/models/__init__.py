from regressions.models.config import RegressionConfig, TrainingBatch
from regressions.models.regression import Regression
from regressions.models.selection import RegressionSelection

__all__ = ["Regression", "RegressionConfig", "RegressionSelection", "TrainingBatch"]
