from django.urls import path

from cluster import views

urlpatterns = [
    path("", views.server_list, name="server-list"),
]
