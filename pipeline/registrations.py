"""What the pipeline app registers with the cluster below it (called from ``PipelineConfig.ready``)."""

from django.urls import reverse

from cluster.jobs.failures import permanent_error_register
from cluster.jobs.subjects import result_link_register
from pipeline.engine.epoch_file import EpochFileError


def register() -> None:
    permanent_error_register(EpochFileError)
    # The demo's and the export's result: the epoch's latest Epoch File, which that job wrote.
    result_link_register(
        "export",
        "Download the Epoch File",
        lambda export, result: reverse("epoch-download-page", args=[result["epoch"]]) if result.get("epoch") else None,
    )
