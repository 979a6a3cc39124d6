from django.apps import AppConfig


class PipelineConfig(AppConfig):
    """What needs every stage: the Epoch File export, the pipeline overview, the demo."""

    name = "pipeline"
    verbose_name = "Pipeline and Epoch File"

    def ready(self) -> None:
        from pipeline import registrations, tasks  # noqa: F401  (tasks registers job handlers)

        registrations.register()
