from django.urls import path

from cluster import views

urlpatterns = [
    path("", views.server_list, name="server-list"),
    path("<int:pk>/", views.server_detail, name="server-detail"),
]
