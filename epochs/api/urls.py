from epoca_builder.api import router
from epochs.api.views import CandlestickSetViewSet, EpochViewSet

router.register("candlestick-sets", CandlestickSetViewSet, basename="candlestick-set")
router.register("epochs", EpochViewSet, basename="epoch")
