"""The account page: your API tokens, with a button to revoke each."""

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.tokens import token_list, token_revoke


def tokens(request):
    return render(
        request, "accounts/tokens.html", {"tokens": token_list(request.user), "idle_days": settings.API_TOKEN_IDLE_DAYS}
    )


@require_POST
def token_revoke_view(request, token_key: str):
    if token_revoke(request.user, token_key):
        messages.success(request, f"Token {token_key}… revoked.")
    else:
        messages.error(request, "You have no token with that key.")
    return redirect("account-tokens")
