from core.api import router
from prediction_models.api.views import PredictionModelSearchViewSet, PredictionModelViewSet, ProfitableConfigViewSet

router.register("prediction-model-searches", PredictionModelSearchViewSet, basename="prediction-model-search")
router.register("profitable-configs", ProfitableConfigViewSet, basename="profitable-config")
router.register("prediction-models", PredictionModelViewSet, basename="prediction-model")
