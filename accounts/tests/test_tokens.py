"""API tokens: they expire after a configurable time without use, each use extends them, and
their owner can list and revoke them (API and page); worker tokens may never expire."""

import base64
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import override_settings
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from accounts.tokens import token_create, worker_account_token

pytestmark = pytest.mark.django_db


def token_client(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def login(username: str) -> dict:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Basic " + base64.b64encode(f"{username}:pw-for-tests".encode()).decode())
    response = client.post("/api/auth/login/")
    assert response.status_code == 200, response.content
    return response.json()


def test_tokens_expire_after_the_configured_idle_time(user):
    assert settings.API_TOKEN_IDLE_DAYS == 30 and settings.REST_KNOX["TOKEN_TTL"] == timedelta(days=30)
    body = login(user.username)
    assert body["expiry"] is not None
    row = AuthToken.objects.get(user=user)
    assert abs(row.expiry - (timezone.now() + timedelta(days=30))) < timedelta(minutes=1)
    with override_settings(REST_KNOX={**settings.REST_KNOX, "TOKEN_TTL": timedelta(days=2)}):
        login(user.username)
        newest = AuthToken.objects.filter(user=user).order_by("-created").first()
        assert abs(newest.expiry - (timezone.now() + timedelta(days=2))) < timedelta(minutes=1)


def test_each_use_extends_the_expiry_and_an_expired_token_is_refused(user):
    row, token = token_create(user)
    AuthToken.objects.filter(pk=row.pk).update(expiry=timezone.now() + timedelta(hours=1))  # idle for a long time
    assert token_client(token).get("/api/jobs/").status_code == 200
    row.refresh_from_db()
    assert row.expiry > timezone.now() + timedelta(days=29)  # slid forward by a full idle period
    AuthToken.objects.filter(pk=row.pk).update(expiry=timezone.now() - timedelta(seconds=1))
    assert token_client(token).get("/api/jobs/").status_code == 401
    assert not AuthToken.objects.filter(pk=row.pk).exists()  # knox removes expired tokens when seen


def test_worker_tokens_expire_unless_set_not_to(settings):
    worker_account_token("w1")
    assert AuthToken.objects.get(user__username="w1").expiry is not None
    settings.WORKER_TOKENS_EXPIRE = False
    token = worker_account_token("w2")
    assert AuthToken.objects.get(user__username="w2").expiry is None
    assert token_client(token).get("/api/epoch-store/_NONE/inputs/").status_code == 404  # reaches the store
    assert token_client(token).get("/api/jobs/").status_code == 403  # and nothing else
    assert AuthToken.objects.get(user__username="w2").expiry is None  # use does not give it an expiry


def test_a_user_lists_and_revokes_only_their_own_tokens(user, make_user):
    mine, token = token_create(user)
    other_row, other = token_create(user)
    stranger_row, _ = token_create(make_user("viewer", "someone"))
    api = token_client(token)
    listed = api.get("/api/auth/tokens/")
    assert listed.status_code == 200
    rows = {row["token_key"]: row for row in listed.json()["results"]}
    assert set(rows) == {mine.token_key, other_row.token_key}
    assert rows[mine.token_key]["current"] is True and rows[other_row.token_key]["current"] is False
    assert all(
        set(row) == {"token_key", "created", "expiry", "current"} for row in rows.values()
    )  # never the token or digest
    assert api.delete(f"/api/auth/tokens/{stranger_row.token_key}/").status_code == 404
    assert AuthToken.objects.filter(pk=stranger_row.pk).exists()
    assert api.delete(f"/api/auth/tokens/{other_row.token_key}/").status_code == 204
    assert token_client(other).get("/api/jobs/").status_code == 401
    assert api.get("/api/jobs/").status_code == 200


def test_the_tokens_page_lists_and_revokes(user, make_user, client):
    mine, _ = token_create(user)
    stranger, _ = token_create(make_user("viewer", "someone"))
    client.force_login(user)
    page = client.get("/account/tokens/").content.decode()
    assert f'data-token-key="{mine.token_key}"' in page and stranger.token_key not in page
    client.post(f"/account/tokens/{stranger.token_key}/revoke/")
    assert AuthToken.objects.filter(pk=stranger.pk).exists()
    response = client.post(f"/account/tokens/{mine.token_key}/revoke/", follow=True)
    assert response.status_code == 200 and not AuthToken.objects.filter(pk=mine.pk).exists()
    assert client.get(f"/account/tokens/{stranger.token_key}/revoke/").status_code == 405
