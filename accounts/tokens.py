"""API tokens (django-rest-knox, stored hashed): lifetimes, listing and revoking one's own.

A token expires after ``API_TOKEN_IDLE_DAYS`` without use; each use moves its expiry forward
(knox's AUTO_REFRESH, written at most once a minute). Worker accounts' tokens never expire when
``WORKER_TOKENS_EXPIRE`` is off.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from knox.crypto import hash_token
from knox.models import AuthToken
from knox.settings import knox_settings

from accounts import roles


def token_ttl_for(user) -> timedelta | None:
    """How long a new token of ``user`` lives without use (None: for ever)."""
    if not settings.WORKER_TOKENS_EXPIRE and roles.role_of(user) == roles.WORKER:
        return None
    return knox_settings.TOKEN_TTL  # REST_KNOX, from API_TOKEN_IDLE_DAYS; renewals use it too


def token_create(user) -> tuple[AuthToken, str]:
    """A new token for ``user``: the row (hash only) and the token, which is shown once."""
    return AuthToken.objects.create(user, expiry=token_ttl_for(user))


def token_list(user):
    """The user's own tokens, newest first."""
    return AuthToken.objects.filter(user=user).order_by("-created")


def token_revoke(user, token_key: str) -> bool:
    """Revoke one of the user's own tokens (by its key, the token's first characters)."""
    deleted, _ = AuthToken.objects.filter(user=user, token_key=token_key).delete()
    return bool(deleted)


def worker_account_token(username: str) -> str:
    """A fresh token of the worker account ``username`` (created with the worker role if new)."""
    user, created = get_user_model().objects.get_or_create(username=username)
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    roles.role_assign(user, roles.WORKER)
    return token_create(user)[1]


def token_revoke_exact(token: str) -> None:
    """Revoke the token ``token`` itself (one this app made and still holds)."""
    AuthToken.objects.filter(digest=hash_token(token)).delete()
