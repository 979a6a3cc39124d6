from accounts.api.views import TokenViewSet
from core.api import router

router.register("auth/tokens", TokenViewSet, basename="token")
