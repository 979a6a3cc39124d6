"""Project-level pages and the API token endpoints."""
from django.shortcuts import render
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from knox import views as knox_views
from rest_framework import serializers
from rest_framework.authentication import BasicAuthentication, SessionAuthentication
from rest_framework.permissions import IsAuthenticated

from cluster import selectors as cluster_selectors


def dashboard(request):
    return render(request, "dashboard.html", {"recent_jobs": cluster_selectors.job_list()[:10]})


TOKEN_RESPONSE = inline_serializer(
    "TokenResponse",
    {"expiry": serializers.DateTimeField(allow_null=True), "token": serializers.CharField(), "user": serializers.DictField()},
)


@extend_schema(tags=["auth"], request=None, responses=TOKEN_RESPONSE)
class TokenLoginView(knox_views.LoginView):
    """Exchange a username and password (HTTP Basic) or a session for an API token.

    The token is shown once; only its hash is stored.
    """

    authentication_classes = [BasicAuthentication, SessionAuthentication]
    permission_classes = [IsAuthenticated]


@extend_schema(tags=["auth"], request=None, responses={204: OpenApiResponse(description="Token revoked.")})
class TokenLogoutView(knox_views.LogoutView):
    """Revoke the token used for this request."""


@extend_schema(tags=["auth"], request=None, responses={204: OpenApiResponse(description="All tokens revoked.")})
class TokenLogoutAllView(knox_views.LogoutAllView):
    """Revoke every token of the user."""
