"""What the epochs app registers with the cluster below it (called from ``EpochsConfig.ready``)."""
from cluster.jobs.failures import permanent_error_register
from cluster.services.servers import epoch_folder_register, push_target_register
from epochs.engine.errors import EpochError, EpochParameterError
from epochs.services.paths import epoch_dir


def register() -> None:
    epoch_folder_register(epoch_dir)
    push_target_register("configuration", files=("epoch.json", "epoch_settings.json"))
    push_target_register("candlesticks", folders=("candlesticks",))
    permanent_error_register(EpochError, EpochParameterError)
