"""Project-level pages and the API token endpoints."""

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.views import defaults
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from knox import views as knox_views
from rest_framework import serializers, status
from rest_framework.authentication import BasicAuthentication, SessionAuthentication
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.tokens import token_ttl_for
from cluster import selectors as cluster_selectors
from cluster.api.serializers import JobSerializer
from core import colours
from core.fields import MAX_PATH_CHARS
from epochs.selectors import epoch_list
from pipeline.demo import DEMO_MIN_POSITIONS, demo_enqueue
from pipeline.overview import epoch_pipeline, next_stage
from regressions.engine.training import SCHEDULE as LEARNING_RATE_SCHEDULE


def dashboard(request):
    epochs = [(epoch, next_stage(epoch_pipeline(epoch))) for epoch in epoch_list()[:10]]
    demo_job = cluster_selectors.job_list().filter(kind="epoca_builder.demo").first()
    return render(
        request,
        "dashboard.html",
        {
            "recent_jobs": cluster_selectors.job_list().filter(parent__isnull=True)[:10],
            "epochs": epochs,
            "demo_job": demo_job,
            "demo_min_positions": DEMO_MIN_POSITIONS,
            "candle_source": settings.CANDLESTICK_SOURCE,
        },
    )


TOKEN_RESPONSE = inline_serializer(
    "TokenResponse",
    {
        "expiry": serializers.DateTimeField(allow_null=True),
        "token": serializers.CharField(),
        "user": serializers.DictField(),
    },
)


@extend_schema(tags=["auth"], request=None, responses=TOKEN_RESPONSE)
class TokenLoginView(knox_views.LoginView):
    """Exchange a username and password (HTTP Basic) or a session for an API token.

    The token is shown once; only its hash is stored.
    """

    authentication_classes = [BasicAuthentication, SessionAuthentication]
    permission_classes = [IsAuthenticated]

    def get_token_ttl(self):
        return token_ttl_for(self.request.user)


@extend_schema(tags=["auth"], request=None, responses={204: OpenApiResponse(description="Token revoked.")})
class TokenLogoutView(knox_views.LogoutView):
    """Revoke the token used for this request."""


@extend_schema(tags=["auth"], request=None, responses={204: OpenApiResponse(description="All tokens revoked.")})
class TokenLogoutAllView(knox_views.LogoutAllView):
    """Revoke every token of the user."""


class DemoInputSerializer(serializers.Serializer):
    source = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=MAX_PATH_CHARS,
        help_text="Default: the CANDLESTICK_SOURCE setting.",
    )


class DemoView(APIView):
    """Queue the demo: the whole pipeline on a small real epoch, ending with a verified Epoch File."""

    @extend_schema(tags=["demo"], request=DemoInputSerializer, responses={202: JobSerializer})
    def post(self, request):
        data = DemoInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        job = demo_enqueue(source=data.validated_data.get("source"), user=request.user)
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


def glossary(request):
    # The colours and the schedule come from the code, so that the page never disagrees with it.
    return render(request, "epoca_builder/glossary.html", {"colours": colours, "schedule": LEARNING_RATE_SCHEDULE})


def not_found(request, exception=None):
    """JSON for the API (a path that matches no route), Django's page elsewhere."""
    if request.path_info.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


def bad_request(request, exception=None):
    """JSON for the API (a request Django refuses before any view), Django's page elsewhere."""
    if request.path_info.startswith("/api/"):
        return JsonResponse({"detail": "Bad request."}, status=400)
    return defaults.bad_request(request, exception)
