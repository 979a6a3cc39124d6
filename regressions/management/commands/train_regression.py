"""Train one regression from an epoch folder; needs no database (cluster servers run it too).

Reports JSON lines on stdout (progress, log, result) for the job that started it. A worker's
own trainings run the same code in a warm process (``regressions/engine/training_server.py``).
"""

from django.core.management.base import BaseCommand, CommandError

from regressions.engine.runtime import configure_tensorflow
from regressions.engine.training_server import TrainingRequestError, add_arguments, train_request


class Command(BaseCommand):
    help = "Train one regression config of an epoch folder (no database needed)."
    requires_system_checks = []
    requires_migrations_checks = False

    def add_arguments(self, parser):
        add_arguments(parser)

    def handle(
        self,
        *args,
        epoch_dir,
        config,
        id=None,
        threads=0,
        concurrent=None,
        no_determinism=False,
        max_batches=None,
        discard_trained=False,
        out_dir=None,
        **options,
    ):
        pools = configure_tensorflow(threads, concurrent=concurrent)
        try:
            train_request(
                pools=pools,
                epoch_dir=epoch_dir,
                config=config,
                id=id,
                out_dir=out_dir,
                discard_trained=discard_trained,
                no_determinism=no_determinism,
                max_batches=max_batches,
            )
        except TrainingRequestError as exc:
            raise CommandError(str(exc)) from None
