from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

import accounts.api.urls  # noqa: F401

# Importing each app's api.urls registers its viewsets on the shared router.
import cluster.api.urls  # noqa: F401
import epochs.api.urls  # noqa: F401
import pipeline.api.urls  # noqa: F401
import prediction_models.api.urls  # noqa: F401
import regressions.api.urls  # noqa: F401
from core.api import router
from epoca_builder import views

api_patterns = [
    path("auth/login/", views.TokenLoginView.as_view(), name="api-login"),
    path("auth/logout/", views.TokenLogoutView.as_view(), name="api-logout"),
    path("auth/logoutall/", views.TokenLogoutAllView.as_view(), name="api-logoutall"),
    path("demo/", views.DemoView.as_view(), name="api-demo"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    path("", include(router.urls)),
]

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("glossary/", views.glossary, name="glossary"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/", include(api_patterns)),
    path("jobs/", include("cluster.urls_jobs")),
    path("servers/", include("cluster.urls")),
    path("epochs/", include("epochs.urls")),
    path("epochs/", include("pipeline.urls")),
    path("regressions/", include("regressions.urls")),
    path("prediction-models/", include("prediction_models.urls")),
    path("account/", include("accounts.urls")),
]

handler400 = "epoca_builder.views.bad_request"
handler404 = "epoca_builder.views.not_found"
