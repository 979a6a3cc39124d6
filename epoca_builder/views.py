"""Project-level pages: the dashboard and the API token login."""
from django.shortcuts import render
from knox.views import LoginView as KnoxLoginView
from rest_framework.authentication import BasicAuthentication, SessionAuthentication
from rest_framework.permissions import IsAuthenticated

from cluster import selectors as cluster_selectors


def dashboard(request):
    return render(request, "dashboard.html", {"recent_jobs": cluster_selectors.job_list()[:10]})


class TokenLoginView(KnoxLoginView):
    """Exchange a username and password (HTTP Basic) or a session for an API token.

    The token is shown once; only its hash is stored.
    """

    authentication_classes = [BasicAuthentication, SessionAuthentication]
    permission_classes = [IsAuthenticated]
