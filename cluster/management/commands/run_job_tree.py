from django.core.management.base import BaseCommand, CommandError

from cluster.choices import ACTIVE_STATUSES
from cluster.jobs.cli import take_part
from cluster.models import Job


class Command(BaseCommand):
    help = (
        "Take part in running a job tree (a parent job and its descendants) as a worker would: run its oldest "
        "queued job, again and again, until the parent has ended. `manage.py demo` starts one per extra core."
    )

    def add_arguments(self, parser):
        parser.add_argument("job", type=int, help="The tree's root job.")
        parser.add_argument("--poll", type=float, default=0.2, help="Seconds to wait when nothing is queued.")

    def handle(self, *args, job, poll, **options):
        root = Job.objects.filter(pk=job).first()
        if root is None:
            raise CommandError(f"No job #{job}.")
        while root.status in ACTIVE_STATUSES:
            root = take_part(root, poll_seconds=poll, bar=False)
