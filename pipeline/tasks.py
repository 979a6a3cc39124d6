"""Job handlers of the pipeline app: the demo and the Epoch File export."""

import json
import sys
import tempfile

from django.conf import settings

from cluster.jobs import JobContext, job_handler
from cluster.jobs.parent import ParentJob
from cluster.jobs.process import run_child
from epochs.models import Epoch
from pipeline.demo import demo_step
from pipeline.engine.epoch_file_models import predict_argv
from pipeline.services.export import epoch_export_run


@job_handler("epoca_builder.demo", label="Demo: the whole pipeline on a small real epoch", max_attempts=3)
def demo(ctx: JobContext):
    """A parent job: each stage is a child job (see pipeline.demo)."""
    return demo_step(ParentJob.of(ctx))


@job_handler("epochs.export", label="Export the Epoch File", max_attempts=2)
def export_epoch(ctx: JobContext) -> dict:
    def predict(zip_path, inputs):
        # Keras runs in a child process that dies with this worker and stops on cancel.
        with tempfile.NamedTemporaryFile("w", suffix=".json") as handle:
            json.dump(dict(inputs), handle)
            handle.flush()
            return run_child(
                ctx, predict_argv(zip_path, handle.name, python=sys.executable), cwd=str(settings.BASE_DIR)
            )

    epoch = Epoch.objects.get(pk=ctx.params["epoch_id"])
    export = epoch_export_run(
        epoch=epoch,
        prediction_model_id=ctx.params["prediction_model_id"],
        confirm_interval=ctx.params.get("confirm_interval", False),
        reexport=ctx.params.get("reexport", False),
        user=ctx.job.created_by,
        predict=predict,
        progress=ctx.progress,
    )
    report = export.verification
    ctx.log(
        f"wrote {export.file_name} ({export.size} bytes, sha256 {export.sha256}); verified: "
        f"{report.get('features_compared')} features, {report.get('raw_outputs_compared')} raw output windows"
    )
    for note in report.get("notes", []):
        ctx.log(note)
    return {
        "epoch": epoch.id,
        "export": export.pk,
        "file": export.file_name,
        "bytes": export.size,
        "sha256": export.sha256,
        "prediction_model_id": export.prediction_model_id,
        "regression_ids": export.regression_ids,
        "verification": report,
    }
