"""What the epochs app registers with the cluster below it (called from ``EpochsConfig.ready``)."""

from cluster.jobs.failures import permanent_error_register
from cluster.services.servers import epoch_folder_register, push_target_register
from epochs.engine import layout
from epochs.engine.errors import EpochError, EpochParameterError
from epochs.services.paths import epoch_dir


def register() -> None:
    epoch_folder_register(epoch_dir)
    push_target_register("configuration", files=layout.INPUT_FILES)
    push_target_register(layout.CANDLESTICKS, folders=(layout.CANDLESTICKS,))
    permanent_error_register(EpochError, EpochParameterError)
