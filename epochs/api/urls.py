from core.api import router
from epochs.api.views import CandlestickSetViewSet

# The epochs themselves, with their export actions, are registered by the pipeline app
# (pipeline/api/urls.py).
router.register("candlestick-sets", CandlestickSetViewSet, basename="candlestick-set")
