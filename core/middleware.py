"""Every page requires a logged-in session; the API authenticates itself (token or session)."""

from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequired


class LoginRequiredMiddleware(DjangoLoginRequired):
    """Django's login-required middleware, leaving ``/api/`` to DRF's own authentication.

    DRF answers unauthenticated API calls with 401/403 JSON instead of a redirect to the login
    page, and accepts tokens, which this middleware cannot see.
    """

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path_info.startswith("/api/"):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)
