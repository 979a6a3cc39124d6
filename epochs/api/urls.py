from core.api import router
from epochs.api.views import CandlestickSetViewSet, EpochExportViewSet, EpochFileViewSet, EpochViewSet

router.register("candlestick-sets", CandlestickSetViewSet, basename="candlestick-set")
router.register("epochs", EpochViewSet, basename="epoch")
router.register("epoch-exports", EpochExportViewSet, basename="epoch-export")
router.register("epoch-files", EpochFileViewSet, basename="epoch-file")
