"""What the regressions app registers with the floors below it (called from ``RegressionsConfig.ready``)."""

from django.urls import reverse

from cluster.jobs.failures import permanent_error_register
from cluster.jobs.subjects import epoch_targets_register, result_link_register, target_page_register
from cluster.services.servers import (
    pull_target_register,
    push_target_register,
    remote_epoch_dirs_register,
    server_check_register,
)
from epochs.engine import layout
from epochs.services.epochs import epoch_setting_check_register
from regressions.engine.architectures import ArchitectureConfigError
from regressions.engine.certificate import CertificateError
from regressions.engine.grid import GridProfileError
from regressions.models import RegressionConfig, TrainingBatch
from regressions.services.grid import grid_profile_problem
from regressions.services.remote import CHECK_KIND, CHECK_LABEL, CHECK_NAME


def register() -> None:
    push_target_register(layout.TRAINING_CONFIGS, folders=(layout.TRAINING_CONFIGS,))
    pull_target_register("trained_regressions", folders=(layout.BATCHED_CERTIFICATES, layout.REGRESSIONS))
    # Folders an epoch needs on a server before its jobs run (the original's push_epoch_builder).
    remote_epoch_dirs_register(layout.TRAINING_CONFIGS, layout.BATCHED_CERTIFICATES, layout.REGRESSIONS)
    server_check_register(CHECK_NAME, kind=CHECK_KIND, label=CHECK_LABEL)
    epoch_setting_check_register("regression_grid_profile", grid_profile_problem)
    permanent_error_register(CertificateError, GridProfileError, ArchitectureConfigError)
    target_page_register(TrainingBatch, lambda pk: reverse("regression-batch", args=[pk]))
    target_page_register(RegressionConfig, lambda pk: reverse("regression-detail", args=[pk]))
    epoch_targets_register(TrainingBatch, lambda epoch_id: TrainingBatch.objects.filter(epoch_id=epoch_id))
    epoch_targets_register(RegressionConfig, lambda epoch_id: RegressionConfig.objects.filter(epoch_id=epoch_id))
    result_link_register("regression", "Regression {}", lambda pk, result: reverse("regression-detail", args=[pk]))
