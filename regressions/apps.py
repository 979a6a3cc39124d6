from django.apps import AppConfig


class RegressionsConfig(AppConfig):
    name = "regressions"
    verbose_name = "Regressions"

    def ready(self) -> None:
        from regressions import tasks  # noqa: F401  (registers job handlers)
