from django.urls import path

from regressions import views

urlpatterns = [path("", views.home, name="regression-home")]
