from django.core.paginator import InvalidPage
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination


def _positive_int(request, name: str, maximum: int) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= maximum:
        raise ValidationError({name: [f"Expected a whole number from 1 to {maximum}."]})
    return int(raw)


class Pagination(PageNumberPagination):
    """Pages of 50 by default; clients may ask for up to 1000 with ``page_size``.

    ``page`` and ``page_size`` must be whole numbers in range (400 otherwise); a page past the
    last is a 404.
    """

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 1000
    max_page = 10**9

    def get_page_size(self, request):
        return _positive_int(request, self.page_size_query_param, self.max_page_size) or self.page_size

    def paginate_queryset(self, queryset, request, view=None):
        page = _positive_int(request, self.page_query_param, self.max_page)
        self.request = request
        paginator = self.django_paginator_class(queryset, self.get_page_size(request))
        try:
            self.page = paginator.page(page or 1)
        except InvalidPage:
            raise NotFound(f"Page {page} does not exist (there are {paginator.num_pages}).") from None
        return list(self.page)

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.page_query_param,
                "required": False,
                "in": "query",
                "description": "A page number (from 1).",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Results per page (1 to {self.max_page_size}, default {self.page_size}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
            },
        ]
