from django.apps import AppConfig
from django.urls import reverse


class ClusterConfig(AppConfig):
    name = "cluster"
    verbose_name = "Cluster and jobs"

    def ready(self) -> None:
        # why: the signals and the handlers need the app registry, which is complete only here
        from cluster import (
            signals,  # noqa: F401  (worker schedules after migrate)
            tasks,  # noqa: F401  (registers job handlers)
        )
        from cluster.jobs.subjects import target_page_register
        from cluster.models import Server

        target_page_register(Server, lambda pk: reverse("server-detail", args=[pk]))
