"""What the prediction-models app registers with the floors below it (called from ``PredictionModelsConfig.ready``)."""

from django.urls import reverse

from cluster.jobs.failures import permanent_error_register
from cluster.jobs.subjects import epoch_targets_register, result_link_register, target_page_register
from cluster.services.servers import pull_target_register, push_target_register, remote_epoch_dirs_register
from epochs.engine import layout
from prediction_models.engine.config_space import ConfigSpaceError
from prediction_models.models import ForwardTest, PredictionModel, PredictionModelSearch
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
    target_page_register(PredictionModelSearch, lambda pk: reverse("prediction-model-search", args=[pk]))
    epoch_targets_register(
        PredictionModelSearch, lambda epoch_id: PredictionModelSearch.objects.filter(epoch_id=epoch_id)
    )
    epoch_targets_register(
        ForwardTest, lambda epoch_id: ForwardTest.objects.filter(prediction_model__search__epoch_id=epoch_id)
    )

    def model_page(pk, result) -> str:
        return reverse("prediction-model-detail", args=[pk])

    for key in ("prediction_model", "prediction_model_id", "models"):  # the demo's, the export's, the build's
        result_link_register(key, "Prediction model {}", model_page)
