from django.urls import path

from cluster import views

urlpatterns = [
    path("", views.job_list, name="jobs-page"),
    path("<int:pk>/", views.job_detail, name="job-detail"),
]
