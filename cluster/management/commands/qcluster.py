"""``manage.py qcluster``: django-q2's worker with our reaper and a stop that takes seconds."""

import os

from django_q.management.commands.qcluster import Command as DjangoQCommand

from cluster.jobs.worker import run_cluster


class Command(DjangoQCommand):
    help = "Starts a django-q2 worker cluster that reaps lost jobs and stops within seconds on SIGTERM or SIGINT."

    def handle(self, *args, **options):
        if options.get("run_once"):
            return super().handle(*args, **options)
        if options.get("cluster_name"):
            os.environ["Q_CLUSTER_NAME"] = options["cluster_name"]

        run_cluster()
