from cluster.api.views import JobViewSet, ServerViewSet
from core.api import router

router.register("jobs", JobViewSet, basename="job")
router.register("servers", ServerViewSet, basename="server")
