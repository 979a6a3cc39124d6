from django.urls import path

from epochs import views

urlpatterns = [
    path("", views.epoch_list, name="epoch-list"),
    path("candles/", views.candles, name="candles"),
    path("<str:pk>/", views.epoch_detail, name="epoch-detail"),
]
