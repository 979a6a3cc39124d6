from core.api import router
from regressions.api.deprecated import RegressionBatchAliasViewSet
from regressions.api.store import EpochStoreViewSet
from regressions.api.views import (
    RegressionConfigViewSet,
    RegressionSelectionViewSet,
    RegressionViewSet,
    TrainingBatchViewSet,
)

router.register("training-batches", TrainingBatchViewSet, basename="training-batch")
# The first name of training batches, a deprecated alias (regressions/api/deprecated.py).
router.register("regression-batches", RegressionBatchAliasViewSet, basename="regression-batch", deprecated=True)
router.register("regression-configs", RegressionConfigViewSet, basename="regression-config")
router.register("regressions", RegressionViewSet, basename="regression")
router.register("regression-selections", RegressionSelectionViewSet, basename="regression-selection")
router.register("epoch-store", EpochStoreViewSet, basename="epoch-store")
