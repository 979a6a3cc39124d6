from django.urls import path

from epochs import views

urlpatterns = [
    path("", views.epoch_list, name="epoch-list"),
    path("candles/", views.candles, name="candles"),
    # Epoch ids start with "_", so "inspect/" never names an epoch.
    path("inspect/", views.epoch_file_inspect, name="epoch-file-inspect"),
    path("<str:pk>/", views.epoch_detail, name="epoch-detail"),
    path("<str:pk>/download/", views.epoch_download, name="epoch-download"),
]
