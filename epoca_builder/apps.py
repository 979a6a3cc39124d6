from django.apps import AppConfig


class EpocaBuilderConfig(AppConfig):
    name = "epoca_builder"
    verbose_name = "Epoch Builder"

    def ready(self) -> None:
        from epoca_builder import tasks  # noqa: F401  (registers the demo job)
