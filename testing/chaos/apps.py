from django.apps import AppConfig


class ChaosConfig(AppConfig):
    """Kill points in the chaos tests' workers (never installed in the app's own settings)."""

    name = "testing.chaos"
    label = "chaos"

    def ready(self) -> None:
        import os

        if os.environ.get("CHAOS_DIR"):
            from testing.chaos.hook import install

            install()
