"""Every page and API endpoint requires login; tokens work; CORS answers the GUI's origin."""

import re

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver
from drf_spectacular.generators import SchemaGenerator
from knox.models import AuthToken
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def _api_operations():
    """(method, path) of every operation in the OpenAPI schema, ids filled with 1."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path, item in schema["paths"].items():
        for method in item:
            yield method.upper(), re.sub(r"\{[^}]+\}", "1", path)


def test_every_api_operation_refuses_anonymous_access():
    client = APIClient()
    operations = list(_api_operations())
    assert len(operations) > 5
    for method, path in [*operations, ("GET", "/api/schema/"), ("GET", "/api/docs/"), ("GET", "/api/")]:
        response = client.generic(method, path)
        assert response.status_code in (401, 403), f"{method} {path} answered {response.status_code}"


def _page_paths():
    def walk(patterns, prefix=""):
        for p in patterns:
            route = prefix + str(p.pattern).lstrip("^").rstrip("$")
            if isinstance(p, URLResolver):
                if route.startswith(("api/", "admin/")):
                    continue
                yield from walk(p.url_patterns, route)
            elif isinstance(p, URLPattern):
                yield "/" + re.sub(r"<[^>]+>", "1", route)

    return sorted(set(walk(get_resolver().url_patterns)))


def test_every_page_redirects_anonymous_users_to_login(client):
    for path in _page_paths():
        if path in ("/login/",):
            continue
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/login/"), (
            f"{path}: {response.status_code}"
        )


def test_login_page_is_open_and_admin_requires_staff(client):
    assert client.get("/login/").status_code == 200
    assert client.get("/admin/").status_code == 302


def test_token_login_then_token_auth(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Basic dHJhZGVyOnB3LWZvci10ZXN0cw==")  # trader:pw-for-tests
    response = client.post("/api/auth/login/")
    assert response.status_code == 200, response.content
    token = response.json()["token"]

    stored = AuthToken.objects.get(user=user)
    assert token not in (stored.digest, stored.token_key)  # only a hash is kept
    token_client = APIClient()
    token_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert token_client.get("/api/jobs/").status_code == 200
    assert token_client.post("/api/auth/logout/").status_code == 204
    assert token_client.get("/api/jobs/").status_code == 401


def test_wrong_password_gets_no_token(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Basic dHJhZGVyOndyb25n")  # trader:wrong
    assert client.post("/api/auth/login/").status_code == 401


@override_settings(CORS_ALLOWED_ORIGINS=["https://gui.epoca.example"])
def test_cors_allows_the_configured_gui_origin(api_client):
    allowed = api_client.get("/api/jobs/", HTTP_ORIGIN="https://gui.epoca.example")
    assert allowed["Access-Control-Allow-Origin"] == "https://gui.epoca.example"
    other = api_client.get("/api/jobs/", HTTP_ORIGIN="https://evil.example")
    assert "Access-Control-Allow-Origin" not in other


def test_lists_are_paginated(api_client):
    body = api_client.get("/api/jobs/").json()
    assert set(body) >= {"count", "next", "previous", "results"}


def test_schema_is_valid(tmp_path):
    out = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    assert "/api/jobs/" in out.read_text()
