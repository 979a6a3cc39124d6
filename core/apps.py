from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The project's non-domain utilities (errors, atomic files, API plumbing); its template tags."""

    name = "core"
    verbose_name = "Core"
