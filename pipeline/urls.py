from django.urls import path

from pipeline import views

# Under /epochs/, after the epochs app's pages; epoch ids start with "_", so "inspect/" never
# names an epoch.
urlpatterns = [
    path("inspect/", views.epoch_file_inspect, name="epoch-file-inspect-page"),
    path("<str:pk>/", views.epoch_detail, name="epoch-detail"),
    path("<str:pk>/download/", views.epoch_download, name="epoch-download-page"),
]
