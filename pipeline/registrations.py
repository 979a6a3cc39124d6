"""What the pipeline app registers with the cluster below it (called from ``PipelineConfig.ready``)."""

from cluster.jobs.failures import permanent_error_register
from pipeline.engine.epoch_file import EpochFileError


def register() -> None:
    permanent_error_register(EpochFileError)
