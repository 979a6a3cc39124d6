"""A django-q2 worker starts its warm training process as soon as it starts itself."""

import logging

from django.dispatch import receiver
from django_q.signals import post_spawn

from regressions.services.training_server import warm_training_server_start_with_worker


@receiver(post_spawn, dispatch_uid="regressions.warm_training_at_worker_start")
def warm_training_at_worker_start(sender, proc_name: str = "", **kwargs) -> None:
    try:
        warm_training_server_start_with_worker()
    except OSError:  # the worker still works: its first training starts the process, or says why not
        logging.getLogger("epoch_builder.jobs").exception("%s: its training process did not start", proc_name)
