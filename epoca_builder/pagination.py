from rest_framework.pagination import PageNumberPagination


class Pagination(PageNumberPagination):
    """Pages of 50 by default; clients may ask for up to 1000 with ``page_size``."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 1000
