"""What the epochs app registers with the cluster below it (called from ``EpochsConfig.ready``)."""

from django.urls import reverse

from cluster.jobs.failures import permanent_error_register
from cluster.jobs.subjects import epoch_targets_register, result_link_register, target_page_register
from cluster.services.servers import epoch_folder_register, push_target_register
from epochs.engine import layout
from epochs.engine.errors import EpochError, EpochParameterError
from epochs.models import CandlestickSet, Epoch
from epochs.services.paths import epoch_dir


def register() -> None:
    epoch_folder_register(epoch_dir)
    push_target_register("configuration", files=layout.INPUT_FILES)
    push_target_register(layout.CANDLESTICKS, folders=(layout.CANDLESTICKS,))
    permanent_error_register(EpochError, EpochParameterError)
    target_page_register(Epoch, lambda pk: reverse("epoch-detail", args=[pk]))
    target_page_register(CandlestickSet, lambda pk: reverse("candles"))
    epoch_targets_register(Epoch, lambda epoch_id: Epoch.objects.filter(pk=epoch_id))
    result_link_register("epoch", "Epoch {}", lambda epoch_id, result: reverse("epoch-detail", args=[epoch_id]))
