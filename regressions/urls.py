from django.urls import path

from regressions import views, views_workbench

urlpatterns = [
    path("", views.home, name="regression-home"),
    path("batches/<int:pk>/", views.batch_detail, name="regression-batch"),
    path("r/<str:pk>/", views.regression_detail, name="regression-detail"),
    path("selections/<int:pk>/", views.selection_detail, name="regression-selection"),
    path("leaderboard/", views_workbench.leaderboard, name="regression-leaderboard"),
    path("compare/", views_workbench.compare, name="regression-compare"),
    path("analysis/", views_workbench.grid_analysis, name="regression-analysis"),
]
