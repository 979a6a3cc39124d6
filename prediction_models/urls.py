from django.urls import path

from prediction_models import views, views_workbench

urlpatterns = [
    path("", views.home, name="prediction-model-home"),
    path("searches/<int:pk>/", views.search_detail, name="prediction-model-search"),
    path("models/", views_workbench.model_list, name="prediction-models-page"),
    path("models/compare/", views_workbench.model_compare, name="prediction-model-compare"),
    path("models/<str:pk>/", views.model_detail, name="prediction-model-detail"),
    path("models/<str:pk>/report/", views_workbench.model_report, name="prediction-model-report"),
    path(
        "models/<str:pk>/trades-<str:period>.csv", views_workbench.model_trades_csv, name="prediction-model-trades-csv"
    ),
]
