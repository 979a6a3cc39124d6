from django.urls import path

from cluster import views

urlpatterns = [
    path("", views.server_list, name="servers-page"),
    path("<int:pk>/", views.server_detail, name="server-detail"),
]
