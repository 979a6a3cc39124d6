"""What the prediction-models app registers with the floors below it (called from ``PredictionModelsConfig.ready``)."""

from cluster.jobs.failures import permanent_error_register
from cluster.services.servers import pull_target_register, push_target_register, remote_epoch_dirs_register
from epochs.engine import layout
from prediction_models.engine.config_space import ConfigSpaceError
from prediction_models.models import PredictionModel
from prediction_models.services.certificates import CertificateError
from regressions.selectors import regression_group_register


def model_regression_ids(model_id: str) -> list[str] | None:
    """The regressions of a prediction model, in its features' order (bulk certificates: ``?prediction_model=``)."""
    ids = PredictionModel.objects.filter(pk=model_id).values_list("profitable_config__regression_ids", flat=True)
    found = ids.first()
    return None if found is None else list(found)


def register() -> None:
    push_target_register(layout.PREDICTION_MODELS, folders=(layout.ASSETS, layout.MODEL_CONFIGS))
    pull_target_register("profitable_configs", folders=(layout.PROFITABLE_CONFIGS,))
    remote_epoch_dirs_register(layout.ASSETS, layout.MODEL_CONFIGS, layout.PROFITABLE_CONFIGS)
    permanent_error_register(CertificateError, ConfigSpaceError)
    regression_group_register("prediction_model", model_regression_ids)
