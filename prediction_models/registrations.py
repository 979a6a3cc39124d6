"""What the prediction-models app registers with the cluster below it (called from ``PredictionModelsConfig.ready``)."""

from cluster.jobs.failures import permanent_error_register
from cluster.services.servers import pull_target_register, push_target_register, remote_epoch_dirs_register
from epochs.engine import layout
from prediction_models.engine.config_space import ConfigSpaceError
from prediction_models.services.certificates import CertificateError


def register() -> None:
    push_target_register(layout.PREDICTION_MODELS, folders=(layout.ASSETS, layout.MODEL_CONFIGS))
    pull_target_register("profitable_configs", folders=(layout.PROFITABLE_CONFIGS,))
    remote_epoch_dirs_register(layout.ASSETS, layout.MODEL_CONFIGS, layout.PROFITABLE_CONFIGS)
    permanent_error_register(CertificateError, ConfigSpaceError)
