from accounts.api.views import TokenViewSet
from epoca_builder.api import router

router.register("auth/tokens", TokenViewSet, basename="token")
