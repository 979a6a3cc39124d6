from django.urls import path

from prediction_models import views

urlpatterns = [path("", views.home, name="prediction-model-home")]
