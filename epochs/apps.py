from django.apps import AppConfig


class EpochsConfig(AppConfig):
    name = "epochs"
    verbose_name = "Epochs and candlesticks"

    def ready(self) -> None:
        from epochs import registrations, tasks  # noqa: F401  (tasks registers job handlers)

        registrations.register()
