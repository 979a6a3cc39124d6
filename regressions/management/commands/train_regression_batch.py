from django.core.management.base import CommandError

from cluster.jobs.command import JobCommand
from regressions.models import TrainingBatch
from regressions.services.training import batch_train_enqueue


class Command(JobCommand):
    help = (
        "Train a regression batch (e.g. KR_DNN_1_2 or KR_UNIT_TEST) here, one child job per regression; "
        "running workers take part. Finished regressions are skipped, interrupted ones resume."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--epoch", required=True)
        parser.add_argument("--batch", required=True, help="Batch name, e.g. KR_DNN_1_2.")

    def create_job(self, *, epoch, batch, **options):
        try:
            row = TrainingBatch.objects.get(epoch_id=epoch, name=batch)
        except TrainingBatch.DoesNotExist:
            raise CommandError(f"Epoch {epoch!r} has no batch {batch!r}.") from None
        return batch_train_enqueue(batch=row, inline=True)
