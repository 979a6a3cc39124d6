from core.api import router
from pipeline.api.views import EpochExportViewSet, EpochFileViewSet, EpochViewSet

router.register("epochs", EpochViewSet, basename="epoch")
router.register("epoch-exports", EpochExportViewSet, basename="epoch-export")
router.register("epoch-files", EpochFileViewSet, basename="epoch-file")
