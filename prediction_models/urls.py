from django.urls import path

from prediction_models import views

urlpatterns = [
    path("", views.home, name="prediction-model-home"),
    path("searches/<int:pk>/", views.search_detail, name="prediction-model-search"),
    path("models/<str:pk>/", views.model_detail, name="prediction-model-detail"),
]
