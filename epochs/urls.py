from django.urls import path

from epochs import views

# An epoch's page, its download and the Epoch File inspection are the pipeline app's
# (pipeline/urls.py), served under the same prefix.
urlpatterns = [
    path("", views.epoch_list, name="epochs-page"),
    path("candles/", views.candles, name="candles"),
]
