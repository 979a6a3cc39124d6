"""What the prediction-models app registers with the cluster below it (called from ``PredictionModelsConfig.ready``)."""
from cluster.jobs.failures import permanent_error_register
from cluster.services.servers import pull_target_register, push_target_register, remote_epoch_dirs_register
from prediction_models.engine.config_space import ConfigSpaceError
from prediction_models.services.certificates import CertificateError


def register() -> None:
    push_target_register("prediction_models", folders=("prediction_models/assets", "prediction_models/configs"))
    pull_target_register("profitable_configs", folders=("prediction_models/profitable_configs",))
    remote_epoch_dirs_register("prediction_models/assets", "prediction_models/configs", "prediction_models/profitable_configs")
    permanent_error_register(CertificateError, ConfigSpaceError)
