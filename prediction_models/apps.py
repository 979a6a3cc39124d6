from django.apps import AppConfig


class PredictionModelsConfig(AppConfig):
    name = "prediction_models"
    verbose_name = "Prediction models"

    def ready(self) -> None:
        from prediction_models import registrations, tasks  # noqa: F401  (tasks registers job handlers)

        registrations.register()
