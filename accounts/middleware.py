"""Pages need their permission as well as a login (see ``roles.PAGE_PERMISSIONS``)."""

from django.core.exceptions import PermissionDenied

from accounts import roles


class PagePermissionMiddleware:
    """Answer 403 to a logged-in user lacking the page's permission.

    ``/api/`` is guarded by the API's permission class and ``/admin/`` by the admin itself;
    pages open to everyone (the login page) are left alone.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path_info.startswith(("/api/", "/admin/")) or not getattr(view_func, "login_required", True):
            return None
        if not request.user.is_authenticated:
            return None  # the login middleware has sent them to the login page already
        match = request.resolver_match
        name = match.url_name if match else None
        needed = roles.PAGE_PERMISSIONS.get(name, roles.DEFAULT_PAGE_PERMISSION)
        if needed and not request.user.has_perm(needed):
            raise PermissionDenied(f"Your role does not allow this page ({needed}).")
        return None
