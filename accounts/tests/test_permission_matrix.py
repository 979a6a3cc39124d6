"""Who may call what: every API operation, a sample of pages and of the admin, for every role.

The table below is the specification: each operation of ``/api/schema/`` (and the few API
views the schema leaves out) with the least role that may call it. An operation missing from
the table fails the test, so a new endpoint must be placed here. Each operation is then called
by an anonymous client and by a real token of each role: an allowed role must get anything but
401/403 (a 400 or 404 for the dummy body or id is fine: the request got past the permissions),
a refused one exactly 403, anonymous 401 or 403.
"""

from __future__ import annotations

import base64
import re

import pytest
from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, get_resolver
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from accounts.admin_guard import action_key
from accounts.roles import (
    ADMIN_ACTION_PERMISSIONS,
    ADMINISTRATOR,
    OPERATOR,
    ROLES,
    SUPERUSER_ADMIN_ACTIONS,
    VIEWER,
    WORKER,
)
from accounts.tokens import token_create
from cluster.models import Server

pytestmark = pytest.mark.django_db

ANY = "any"  # every account, workers included (its own tokens, logging in and out)
# The least role of each level, and the roles it lets in.
ALLOWED = {
    ANY: {VIEWER, OPERATOR, ADMINISTRATOR, WORKER},
    VIEWER: {VIEWER, OPERATOR, ADMINISTRATOR},
    OPERATOR: {OPERATOR, ADMINISTRATOR},
    ADMINISTRATOR: {ADMINISTRATOR},
    WORKER: {WORKER, ADMINISTRATOR},  # the central epoch store
}

API = {
    "POST /api/auth/login/": ANY,
    "POST /api/auth/logout/": ANY,
    "POST /api/auth/logoutall/": ANY,
    "GET /api/auth/tokens/": ANY,
    "DELETE /api/auth/tokens/{token_key}/": ANY,
    "GET /api/candlestick-sets/": VIEWER,
    "GET /api/candlestick-sets/{id}/": VIEWER,
    "POST /api/candlestick-sets/import/": OPERATOR,
    "POST /api/candlestick-sets/import-bundle/": OPERATOR,
    "POST /api/demo/": OPERATOR,
    "GET /api/epoch-exports/": VIEWER,
    "GET /api/epoch-exports/{id}/": VIEWER,
    "GET /api/epoch-exports/{id}/download/": VIEWER,
    "POST /api/epoch-files/inspect/": VIEWER,
    "POST /api/epoch-store/{epoch_id}/batched-certificates/{batch_name}/": WORKER,
    "GET /api/epoch-store/{epoch_id}/file/": WORKER,
    "GET /api/epoch-store/{epoch_id}/inputs/": WORKER,
    "GET /api/epoch-store/{epoch_id}/regressions/{regression_id}/": WORKER,
    "POST /api/epoch-store/{epoch_id}/regressions/{regression_id}/": WORKER,
    "GET /api/epochs/": VIEWER,
    "POST /api/epochs/": OPERATOR,
    "GET /api/epochs/{id}/": VIEWER,
    "DELETE /api/epochs/{id}/": ADMINISTRATOR,
    "GET /api/epochs/{id}/download/": VIEWER,
    "POST /api/epochs/{id}/export/": OPERATOR,
    "POST /api/epochs/{id}/withdraw-export/": ADMINISTRATOR,
    "GET /api/jobs/": VIEWER,
    "GET /api/jobs/{id}/": VIEWER,
    "POST /api/jobs/{id}/cancel/": OPERATOR,
    "POST /api/jobs/{id}/retry/": OPERATOR,
    "POST /api/jobs/selfcheck/": OPERATOR,
    "GET /api/prediction-model-searches/": VIEWER,
    "POST /api/prediction-model-searches/": OPERATOR,
    "GET /api/prediction-model-searches/{id}/": VIEWER,
    "POST /api/prediction-model-searches/{id}/build/": OPERATOR,
    "POST /api/prediction-model-searches/{id}/export-assets/": OPERATOR,
    "POST /api/prediction-model-searches/{id}/find/": OPERATOR,
    "GET /api/prediction-models/": VIEWER,
    "GET /api/prediction-models/{id}/": VIEWER,
    "GET /api/prediction-models/{id}/certificate/": VIEWER,
    "POST /api/prediction-models/{id}/forward-test/": OPERATOR,
    "GET /api/prediction-models/{id}/forward-tests/": VIEWER,
    "GET /api/prediction-models/{id}/ebe/": VIEWER,
    "GET /api/prediction-models/certificates/": VIEWER,
    "GET /api/profitable-configs/": VIEWER,
    "GET /api/profitable-configs/{id}/": VIEWER,
    "GET /api/training-batches/": VIEWER,
    "GET /api/training-batches/{id}/": VIEWER,
    "POST /api/training-batches/{id}/train/": OPERATOR,
    "POST /api/training-batches/generate/{epoch_id}/": OPERATOR,
    "POST /api/training-batches/train-all/{epoch_id}/": OPERATOR,
    "GET /api/regression-batches/": VIEWER,
    "GET /api/regression-batches/{id}/": VIEWER,
    "POST /api/regression-batches/{id}/train/": OPERATOR,
    "POST /api/regression-batches/generate/{epoch_id}/": OPERATOR,
    "POST /api/regression-batches/train-all/{epoch_id}/": OPERATOR,
    "GET /api/regression-configs/": VIEWER,
    "GET /api/regression-configs/{id}/": VIEWER,
    "GET /api/regression-selections/": VIEWER,
    "POST /api/regression-selections/": OPERATOR,
    "GET /api/regression-selections/{id}/": VIEWER,
    "GET /api/regressions/": VIEWER,
    "GET /api/regressions/{id}/": VIEWER,
    "GET /api/regressions/{id}/certificate/": VIEWER,
    "GET /api/regressions/{id}/ebe/": VIEWER,
    "GET /api/regressions/{id}/history/": VIEWER,
    "GET /api/regressions/certificates/": VIEWER,
    "POST /api/regressions/{id}/retrain/": ADMINISTRATOR,
    "GET /api/servers/": VIEWER,
    "POST /api/servers/": ADMINISTRATOR,
    "GET /api/servers/{id}/": VIEWER,
    "PUT /api/servers/{id}/": ADMINISTRATOR,
    "PATCH /api/servers/{id}/": ADMINISTRATOR,
    "DELETE /api/servers/{id}/": ADMINISTRATOR,
    "GET /api/servers/{id}/actions/": VIEWER,
    "POST /api/servers/{id}/confirm-host-key/": ADMINISTRATOR,
    "GET /api/servers/{id}/connection/": VIEWER,
    "POST /api/servers/{id}/fetch-host-key/": ADMINISTRATOR,
    "POST /api/servers/{id}/install-key/": ADMINISTRATOR,
    "POST /api/servers/{id}/kill/": ADMINISTRATOR,
    "GET /api/servers/{id}/log/": VIEWER,
    "POST /api/servers/{id}/pull/": OPERATOR,
    "POST /api/servers/{id}/push/": OPERATOR,
    "POST /api/servers/{id}/reboot/": ADMINISTRATOR,
    "POST /api/servers/{id}/selfcheck/": OPERATOR,
    "POST /api/servers/{id}/shutdown/": ADMINISTRATOR,
    "GET /api/servers/{id}/status/": VIEWER,
    "POST /api/servers/{id}/status/": OPERATOR,
    "GET /api/servers/live/": VIEWER,
    "POST /api/servers/reboot-all/": ADMINISTRATOR,
    "POST /api/servers/shutdown-all/": ADMINISTRATOR,
}
# API views the schema does not list.
UNLISTED_API = {
    "GET /api/": VIEWER,
    "GET /api/schema/": VIEWER,
    "GET /api/docs/": VIEWER,
    "GET /api/redoc/": VIEWER,
}

# Pages by URL name, with the path each is tried at (ids that do not exist: 404 is allowed).
PAGES = {
    "dashboard": ("/", VIEWER),
    "jobs-page": ("/jobs/", VIEWER),
    "job-detail": ("/jobs/1/", VIEWER),
    "servers-page": ("/servers/", VIEWER),
    "server-detail": ("/servers/1/", VIEWER),
    "epochs-page": ("/epochs/", VIEWER),
    "candles": ("/epochs/candles/", VIEWER),
    "epoch-file-inspect-page": ("/epochs/inspect/", VIEWER),
    "epoch-detail": ("/epochs/_NONE/", VIEWER),
    "epoch-download-page": ("/epochs/_NONE/download/", VIEWER),
    "regression-home": ("/regressions/", VIEWER),
    "regression-batch": ("/regressions/batches/1/", VIEWER),
    "regression-detail": ("/regressions/r/none/", VIEWER),
    "regression-selection": ("/regressions/selections/1/", VIEWER),
    "prediction-model-home": ("/prediction-models/", VIEWER),
    "prediction-model-search": ("/prediction-models/searches/1/", VIEWER),
    "prediction-model-detail": ("/prediction-models/models/none/", VIEWER),
    "prediction-models-page": ("/prediction-models/models/", VIEWER),
    "prediction-model-report": ("/prediction-models/models/none/report/", VIEWER),
    "prediction-model-compare": ("/prediction-models/models/compare/", VIEWER),
    "prediction-model-trades-csv": ("/prediction-models/models/none/trades-selection.csv", VIEWER),
    "regression-leaderboard": ("/regressions/leaderboard/", VIEWER),
    "regression-compare": ("/regressions/compare/", VIEWER),
    "regression-analysis": ("/regressions/analysis/", VIEWER),
    "glossary": ("/glossary/", VIEWER),
    "account-tokens": ("/account/tokens/", ANY),
    "login": ("/login/", None),  # open to everyone
    "logout": (None, ANY),  # POST only; tried in test_tokens
    "account-token-revoke": (None, ANY),  # POST only; tried in test_tokens
}

# The admin, a sample of each kind: the index, read-only lists, add and change forms, the log.
ADMIN = {
    "/admin/": VIEWER,
    "/admin/cluster/job/": VIEWER,
    "/admin/cluster/server/": VIEWER,
    "/admin/epochs/epoch/": VIEWER,
    "/admin/regressions/regression/": VIEWER,
    "/admin/prediction_models/predictionmodel/": VIEWER,
    "/admin/cluster/server/add/": ADMINISTRATOR,
    "/admin/auth/user/": ADMINISTRATOR,
    "/admin/auth/user/add/": ADMINISTRATOR,
    "/admin/accounts/auditentry/": ADMINISTRATOR,
    "/admin/knox/authtoken/": ADMINISTRATOR,
}


def _schema_operations() -> set[str]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {f"{method.upper()} {path}" for path, item in schema["paths"].items() for method in item}


def _page_names() -> set[str]:
    def walk(patterns, prefix=""):
        for p in patterns:
            route = prefix + str(p.pattern)
            if isinstance(p, URLResolver):
                if not route.startswith(("api/", "admin/")):
                    yield from walk(p.url_patterns, route)
            elif isinstance(p, URLPattern):
                yield p.name

    return set(walk(get_resolver().url_patterns))


@pytest.fixture
def accounts(make_user):
    return {role: make_user(role) for role in ROLES}


# One client for every call: each new client loads the middleware again (WhiteNoise then scans
# every static file); credentials are set afresh per call.
_CLIENT = APIClient()


def _call(operation: str, account) -> int:
    method, path = operation.split(" ", 1)
    path = re.sub(r"\{[^}]+\}", "1", path)
    client = _CLIENT
    client.credentials()
    client.cookies.clear()
    if account is not None and path == "/api/auth/login/":
        basic = base64.b64encode(f"{account.username}:pw-for-tests".encode()).decode()
        client.credentials(HTTP_AUTHORIZATION=f"Basic {basic}")
    elif account is not None:
        # A fresh token per call: logging out revokes the token it was made with.
        client.credentials(HTTP_AUTHORIZATION=f"Token {token_create(account)[1]}")
    body = {} if method in ("POST", "PUT", "PATCH") else None
    return client.generic(
        method, path, data="{}" if body is not None else "", content_type="application/json"
    ).status_code


def test_the_table_places_every_api_operation():
    found = _schema_operations()
    assert found - API.keys() == set(), "operations missing from the permission table: place each new endpoint"
    assert API.keys() - found == set(), "the table names operations the API no longer has"


def test_every_page_is_placed():
    assert _page_names() - PAGES.keys() == set(), "pages missing from the permission table: place each new page"


def test_every_api_operation_answers_each_role_as_the_table_says(accounts):
    # Safety first: the administrator's power actions must run the harmless test command.
    assert all(command[0] == "echo" for command in settings.SERVER_POWER_COMMANDS.values()), (
        settings.SERVER_POWER_COMMANDS
    )
    wrong = []
    for operation, least in {**API, **UNLISTED_API}.items():
        anonymous = _call(operation, None)
        if anonymous not in (401, 403):
            wrong.append(f"{operation}: anonymous got {anonymous}")
        for role, account in accounts.items():
            status = _call(operation, account)
            allowed = role in ALLOWED[least]
            if allowed and status in (401, 403):
                wrong.append(f"{operation}: {role} refused ({status}), table says {least}")
            elif not allowed and status != 403:
                wrong.append(f"{operation}: {role} got {status}, expected 403 (table says {least})")
    assert wrong == []


def test_pages_answer_each_role_as_the_table_says(accounts, client):
    wrong = []
    existing = _page_names()
    for name, (path, least) in PAGES.items():
        if path is None or least is None or name not in existing:  # POST-only, open, or not (yet) in this build
            continue
        response = client.get(path)
        if not (response.status_code == 302 and response["Location"].startswith("/login/")):
            wrong.append(f"{path}: anonymous got {response.status_code}")
        for role, account in accounts.items():
            client.force_login(account)
            status = client.get(path).status_code
            allowed = role in ALLOWED[least]
            if (allowed and status in (401, 403)) or (not allowed and status != 403):
                wrong.append(f"{path}: {role} got {status} (table says {least})")
        client.logout()
    assert client.get("/login/").status_code == 200
    assert wrong == []


def test_admin_answers_each_role_as_the_table_says(accounts, client):
    wrong = []
    for path, least in ADMIN.items():
        for role, account in accounts.items():
            client.force_login(account)
            response = client.get(path)
            allowed = role in ALLOWED[least]
            if role == WORKER:  # not staff: the admin sends it to its login page
                ok = response.status_code == 302 and "/admin/login/" in response["Location"]
            elif allowed:
                ok = response.status_code == 200
            else:
                ok = response.status_code == 403
            if not ok:
                wrong.append(f"{path}: {role} got {response.status_code} (table says {least})")
        client.logout()
    assert wrong == []


def test_admin_offers_each_role_only_its_actions(accounts, client):
    Server.objects.create(name="a", host="127.0.0.1", port=9, user="nobody")
    offered = {}
    for role in (VIEWER, OPERATOR, ADMINISTRATOR):
        client.force_login(accounts[role])
        response = client.get("/admin/cluster/server/")
        form = response.context.get("action_form")
        offered[role] = {name for name, _ in form.fields["action"].choices if name} if form else set()
    assert offered[VIEWER] == set()
    assert {"check_status", "push_code"} <= offered[OPERATOR]
    assert offered[OPERATOR].isdisjoint(
        {"reboot", "shutdown", "kill_jobs", "install_key", "confirm_host_key", "delete_selected"}
    )
    assert {"reboot", "shutdown", "kill_jobs", "install_key", "delete_selected", "check_status"} <= offered[
        ADMINISTRATOR
    ]
    # An action not offered cannot be posted either: nothing runs, nothing is recorded.
    client.force_login(accounts[OPERATOR])
    client.post("/admin/cluster/server/", {"action": "reboot", "_selected_action": [Server.objects.get().pk]})
    assert not Server.objects.get().actions.exists()


def test_every_admin_action_is_placed():
    placed = ADMIN_ACTION_PERMISSIONS.keys() | SUPERUSER_ADMIN_ACTIONS
    unplaced = [
        action_key(model_admin, name)
        for model_admin in admin.site._registry.values()
        for _, name, _ in model_admin._get_base_actions()
        if name != "delete_selected" and action_key(model_admin, name) not in placed
    ]
    assert unplaced == [], "admin actions missing from roles.ADMIN_ACTION_PERMISSIONS"


def test_options_requests_follow_the_reads(accounts):
    def options(path, role):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token_create(accounts[role])[1]}")
        return client.options(path).status_code

    assert options("/api/servers/", VIEWER) == 200 and options("/api/servers/", WORKER) == 403
    assert options("/api/epoch-store/_E/inputs/", VIEWER) == 403  # no model to read: closed
    assert APIClient().options("/api/servers/").status_code in (401, 403)
