"""The API router: each app registers its viewsets in ``<app>/api/urls.py``."""

from rest_framework import routers


class APIRootView(routers.APIRootView):
    """Epoch Builder's API: every collection, below `/api/`. The schema is at `/api/schema/`, its
    documentation at `/api/docs/`; times are UTC ISO 8601 except the Epoca contract's milliseconds."""


class Router(routers.DefaultRouter):
    """The default router; a deprecated alias (``register(..., deprecated=True)``) still answers
    but the root does not list it."""

    APIRootView = APIRootView

    def __init__(self) -> None:
        super().__init__()
        self.deprecated: set[str] = set()

    def register(self, prefix, viewset, basename=None, *, deprecated: bool = False):
        if deprecated:
            self.deprecated.add(prefix)
        super().register(prefix, viewset, basename)

    def get_api_root_view(self, api_urls=None):
        listed = {
            prefix: self.routes[0].name.format(basename=basename)
            for prefix, _viewset, basename in self.registry
            if prefix not in self.deprecated
        }
        return self.APIRootView.as_view(api_root_dict=listed)


router = Router()
