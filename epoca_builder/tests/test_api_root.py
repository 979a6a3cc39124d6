"""The API root lists the API: every link it gives is below /api/, never an HTML page."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from core.api import router

pytestmark = pytest.mark.django_db


def test_every_link_of_the_api_root_is_an_api_path(api_client):
    links = api_client.get("/api/", HTTP_ACCEPT="application/json").json()
    assert {"jobs", "servers", "epochs", "prediction-models"} <= set(links)
    for name, url in links.items():
        assert url.startswith("http://testserver/api/"), (name, url)


def test_the_routers_list_names_are_the_apis():
    listed = [(prefix, basename) for prefix, viewset, basename in router.registry if hasattr(viewset, "list")]
    assert len(listed) > 10
    for prefix, basename in listed:
        assert reverse(f"{basename}-list") == f"/api/{prefix}/"


def test_no_template_links_a_page_by_an_api_list_name():
    """Pages are named ``<thing>s-page``; an ``{% url '<basename>-list' %}`` would link the API."""
    api_names = {f"{basename}-list" for _prefix, _viewset, basename in router.registry}
    root = Path(settings.BASE_DIR)
    used = set()
    for template in [*root.glob("*/templates/**/*.html"), *(root / "templates").glob("**/*.html")]:
        used |= {(template.name, n) for n in re.findall(r"{%\s*url\s+['\"]([\w-]+)['\"]", template.read_text())}
    assert used and not {(t, n) for t, n in used if n in api_names}


# Detail pages named like the router's detail routes: pages come after the API in the URLconf,
# so these names reverse to the pages (page_url fields and templates rely on it); the API's
# detail URLs are never reversed by name.
SHARED_DETAIL_NAMES = {"epoch-detail", "job-detail", "server-detail", "prediction-model-detail", "regression-detail"}


def test_no_other_page_shares_a_name_with_an_api_route():
    from django.urls import URLPattern, URLResolver, get_resolver

    def names(patterns, prefix=""):
        for p in patterns:
            route = prefix + str(p.pattern)
            if isinstance(p, URLResolver):
                yield from names(p.url_patterns, route)
            elif isinstance(p, URLPattern) and p.name:
                yield route, p.name

    routes = list(names(get_resolver().url_patterns))
    api = {name for route, name in routes if route.startswith("api/")}
    pages = {name for route, name in routes if not route.startswith(("api/", "admin/"))}
    assert api & pages == SHARED_DETAIL_NAMES
    for name in SHARED_DETAIL_NAMES:
        assert not reverse(name, args=[1]).startswith("/api/"), name
