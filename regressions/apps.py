from django.apps import AppConfig


class RegressionsConfig(AppConfig):
    name = "regressions"
    verbose_name = "Regressions"

    def ready(self) -> None:
        from regressions import registrations, signals, tasks  # noqa: F401  (tasks registers job handlers)

        registrations.register()
