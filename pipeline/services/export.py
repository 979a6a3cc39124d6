"""The Epoch File export: readiness, writing, verification, archiving (ORIGINAL.md §8).

``<EPOCHS_ROOT>/<EPOCH_ID>/<EPOCH_ID>.zip`` is written for one built prediction model, verified
as the consumer would read it before it takes its name, recorded as an :class:`EpochExport`
(with every id it made public: Epoca never accepts an id twice) and the epoch is marked
``exported``. The epoch folder stays self-contained and untouched apart from the zip and its
record, so the export can be run again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import pyarrow.parquet as pq
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from cluster.services.jobs import job_enqueue
from core.errors import ApplicationError
from core.files import read_json, safe_join, sha256_file, write_json
from epochs.choices import PredictionInterval
from epochs.engine.epoch import CANDLE_FILES
from epochs.models import Epoch, EpochExport
from epochs.services.pages import epoch_disk_usage_record
from epochs.services.paths import epoch_dir, epoch_layout, shown_path
from pipeline.engine import epoch_file
from pipeline.engine.epoch_file_models import predict_in_child
from prediction_models.models import PredictionModel, PredictionModelSearch
from prediction_models.services.verdicts import model_verdict

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from cluster.models import Job

Predictor = epoch_file.Predictor


def epoch_file_path(epoch: Epoch) -> Path:
    return epoch_layout(epoch.id).epoch_file


def export_record_path(epoch: Epoch) -> Path:
    return epoch_layout(epoch.id).export_record


def model_certificate_file(*, epoch: Epoch, prediction_model_id: str) -> Path:
    """The certificate of a built prediction model of ``epoch``.

    A :class:`prediction_models.PredictionModel` row names its file (relative to the epoch
    folder); without a row, the build's conventional place is used.
    """
    row = PredictionModel.objects.filter(pk=prediction_model_id).select_related("search").first()
    if row is not None:
        if row.search.epoch_id != epoch.id:
            raise ApplicationError(
                f"The prediction model {prediction_model_id} belongs to epoch {row.search.epoch_id}, not {epoch.id}."
            )
        path = safe_join(epoch_dir(epoch.id), row.certificate_file)
    else:
        path = epoch_layout(epoch.id).model_certificate(prediction_model_id)
    if not path.exists():
        raise ApplicationError(
            f"No built prediction model {prediction_model_id!r} in epoch {epoch.id}: {shown_path(path)} does not exist."
        )
    return path


class ExportPlan:
    """What goes into the file, gathered and checked by :func:`export_readiness`."""

    def __init__(self, epoch: Epoch, certificate: dict, regression_certificates: list[dict], h5_files: dict[str, Path]):
        self.epoch = epoch
        self.certificate = certificate
        self.regression_certificates = regression_certificates
        self.h5_files = h5_files

    @property
    def regression_ids(self) -> list[str]:
        return [r["id"] for r in self.certificate["model"]["regressions"]]


def export_readiness(
    *, epoch: Epoch, prediction_model_id: str, confirm_interval: bool = False, reexport: bool = False
) -> ExportPlan:
    """Gather the file's content and refuse, with every reason at once, what Epoca would refuse."""
    layout = epoch_layout(epoch.id)
    if not epoch.is_ready or not layout.epoch_json.exists():
        raise ApplicationError(f"Epoch {epoch.id} is {epoch.status}: only a created epoch can be exported.")
    problems: list[str] = []
    if epoch.prediction_interval != PredictionInterval.M15 and not confirm_interval:
        problems.append(
            f"The epoch's prediction candles are {epoch.prediction_interval} minutes, but Epoca feeds its models "
            "15-minute candles; confirm the interval to export anyway."
        )
    path = model_certificate_file(epoch=epoch, prediction_model_id=prediction_model_id)
    certificate = read_json(path)
    if not isinstance(certificate, dict) or certificate.get("id") != prediction_model_id:
        raise ApplicationError(
            f"{shown_path(path)}: expected one prediction model certificate with id {prediction_model_id!r}."
        )
    model = certificate.get("model") or {}
    regression_ids: list[Any] = [r.get("id") for r in model.get("regressions") or [] if isinstance(r, dict)]
    if not regression_ids:
        raise ApplicationError(f"{shown_path(path)}: model.regressions lists no regression.")
    regression_certificates, h5_files = [], {}
    for rid in regression_ids:
        certificate_file, h5_file = layout.regression_certificate(str(rid)), layout.regression_h5(str(rid))
        if not certificate_file.exists() or not h5_file.exists():
            problems.append(f"Regression {rid} has no trained files in {layout.regression_dir(str(rid))}.")
            continue
        regression_certificates.append(read_json(certificate_file))
        h5_files[rid] = h5_file
    config = read_json(layout.epoch_json)
    problems += epoch_file.id_problems(config, certificate, regression_certificates) if not problems else []
    problems += _reused_ids(epoch, prediction_model_id, regression_ids, reexport)
    if problems:
        raise ApplicationError("The Epoch File cannot be exported: " + " ".join(problems), extra={"problems": problems})
    return ExportPlan(epoch, certificate, regression_certificates, h5_files)


def _reused_ids(epoch: Epoch, model_id: str, regression_ids: list[str], reexport: bool) -> list[str]:
    problems = []
    for export in EpochExport.objects.all():
        if reexport and export.epoch_id == epoch.id:
            continue  # the user says the earlier file of this epoch was never installed
        reused = sorted(
            ({export.prediction_model_id} | set(export.regression_ids)) & ({model_id} | set(regression_ids))
        )
        if reused or export.epoch_id == epoch.id:
            problems.append(
                f"Epoch {export.epoch_id} was exported before (model {export.prediction_model_id}, {export.created:%Y-%m-%d %H:%M})"
                + (f" with the id(s) {', '.join(reused)}" if reused else "")
                + ". Epoca refuses an epoch, model or regression id it has seen once, so another model needs fresh ids: "
                "create a new epoch and build its models there. If the earlier file was never installed, export again "
                "with the re-export confirmation."
            )
    return problems


@transaction.atomic
def epoch_export_enqueue(
    *,
    epoch: Epoch,
    prediction_model_id: str,
    user: User | None = None,
    confirm_interval: bool = False,
    reexport: bool = False,
    inline: bool = False,
) -> Job:
    """Check readiness now (refusals are immediate) and queue the export job."""
    export_readiness(
        epoch=epoch, prediction_model_id=prediction_model_id, confirm_interval=confirm_interval, reexport=reexport
    )
    params = {
        "epoch_id": epoch.id,
        "prediction_model_id": prediction_model_id,
        "confirm_interval": bool(confirm_interval),
        "reexport": bool(reexport),
    }
    return job_enqueue(kind="epochs.export", target=epoch, params=params, user=user, dedup_key=epoch.id, inline=inline)


def epoch_export_run(
    *,
    epoch: Epoch,
    prediction_model_id: str,
    confirm_interval: bool = False,
    reexport: bool = False,
    user: User | None = None,
    predict: Predictor = predict_in_child,
    progress: Callable[[int, int, str], None] | None = None,
) -> EpochExport:
    """Write, verify (before the file takes its name), record and archive. Called by the job."""
    plan = export_readiness(
        epoch=epoch, prediction_model_id=prediction_model_id, confirm_interval=confirm_interval, reexport=reexport
    )
    config = read_json(epoch_layout(epoch.id).epoch_json)
    verification: dict = {}

    def verify(temp: Path) -> None:
        report = _verify(epoch, temp, predict, plan.regression_ids)
        verification.update(report.as_dict())
        if not report.ok:
            raise ApplicationError(
                "The Epoch File failed its verification (nothing was kept): " + "; ".join(report.problems[:10]),
                extra={"verification": verification},
            )

    try:
        manifest = epoch_file.write_epoch_file(
            epoch_file_path(epoch),
            epoch_config=config,
            model_certificate=plan.certificate,
            regression_certificates=plan.regression_certificates,
            h5_files=plan.h5_files,
            created=int(time.time() * 1000),
            max_bytes=epoch_file.MAX_EPOCH_FILE_BYTES,
            before_publish=verify,
            progress=progress,
        )
    except epoch_file.EpochFileError as exc:
        raise ApplicationError(str(exc)) from None
    path = epoch_file_path(epoch)
    with transaction.atomic():
        export = EpochExport.objects.create(
            epoch=epoch,
            prediction_model_id=prediction_model_id,
            regression_ids=plan.regression_ids,
            file_path=path.name,
            sha256=sha256_file(path),
            size=path.stat().st_size,
            manifest=manifest,
            verified=True,
            verification=verification,
            created_by=user if getattr(user, "is_authenticated", False) else None,
        )
        epoch.mark_exported()
    epoch_archive(epoch=epoch, export=export)
    epoch_disk_usage_record(epoch=epoch)
    return export


def _verify(
    epoch: Epoch, path: Path, predict: Predictor, regression_ids: list[str], name: str | None = None
) -> epoch_file.VerifyReport:
    layout = epoch_layout(epoch.id)
    table = pq.read_table(layout.candlesticks / CANDLE_FILES["normalized_prediction_candlesticks"], columns=["ot", "c"])
    samples = {}
    for rid in regression_ids:
        sample_file = layout.regression_samples(rid)
        if sample_file.exists():
            samples[rid] = read_json(sample_file)
    return epoch_file.verify_epoch_file(
        path,
        name=name or f"{epoch.id}.zip",
        prediction_ot=table.column("ot").to_numpy(),
        normalized=table.column("c").to_numpy(),
        predict=predict,
        reference_samples=samples,
    )


def epoch_file_verify(*, export: EpochExport, predict: Predictor = predict_in_child) -> dict:
    """Verify an exported file again (it may have been altered since); records the result."""
    path = safe_join(epoch_dir(export.epoch_id), export.file_path)
    if not path.exists():
        report: dict[str, Any] = {"ok": False, "problems": [f"{shown_path(path)} does not exist"]}
    else:
        regression_ids = list(export.regression_ids)
        report = _verify(export.epoch, path, predict, regression_ids).as_dict()
        if report["ok"] and sha256_file(path) != export.sha256:
            report["ok"] = False
            report["problems"].append(
                f"{path.name}: its sha256 differs from the export's record (replaced by a later export?)"
            )
    EpochExport.objects.filter(pk=export.pk).update(verified=report["ok"], verification=report)
    return report


def epoch_archive(*, epoch: Epoch, export: EpochExport) -> dict:
    """Make the epoch folder self-contained (ORIGINAL.md §8 step 9).

    The folder already holds its ``epoch.json`` and its own candles; this writes the record of
    the export (the epoch's settings as stored in the database, the manifest, the verification)
    and checks the candles against the checksums taken at creation. The shared candle store and
    the regression files (needed to export again) are left alone.
    """
    layout = epoch_layout(epoch.id)
    settings_file = read_json(layout.epoch_settings_json) if layout.epoch_settings_json.exists() else {}
    checksums = settings_file.get("candle_checksums", {})
    candles = {}
    for name in CANDLE_FILES.values():
        file = layout.candlesticks / name
        candles[name] = (
            "missing"
            if not file.exists()
            else ("ok" if checksums.get(name) in (None, sha256_file(file)) else "changed since the epoch was created")
        )
    epoch.refresh_from_db()
    row = {f.attname: _plain(getattr(epoch, f.attname)) for f in Epoch._meta.concrete_fields}
    record = {
        "epoch": row,
        "candles": candles,
        "file": export.file_path,
        "sha256": export.sha256,
        "bytes": export.size,
        "prediction_model_id": export.prediction_model_id,
        "regression_ids": export.regression_ids,
        "manifest": export.manifest,
        "verification": export.verification,
        "exported": export.created.isoformat(),
    }
    write_json(export_record_path(epoch), record, indent=2)
    return record


def _plain(value: Any) -> Any:
    return value if value is None or isinstance(value, (str, int, float, bool, list, dict)) else str(value)


def latest_export(epoch: Epoch) -> EpochExport | None:
    return epoch.exports.order_by("-created").first()


def exported_model_verdict(epoch: Epoch) -> dict | None:
    """The verdict on the model of the epoch's latest Epoch File, with the minimum positions its
    search counted a config with (a demo's is below the default); ``None`` before an export."""
    export = latest_export(epoch)
    model = (
        PredictionModel.objects.select_related("search").filter(pk=export.prediction_model_id).first()
        if export
        else None
    )
    if model is None:
        return None
    return {
        "model": model,
        "checks": model_verdict(model),
        "min_positions": model.search.min_positions,
        "default_min_positions": PredictionModelSearch._meta.get_field("min_positions").get_default(),
    }


def export_download_path(export: EpochExport) -> Path:
    """The file of ``export``, refused when a later export replaced it."""
    path = safe_join(epoch_dir(export.epoch_id), export.file_path)
    if not path.exists():
        raise ApplicationError(f"{path.name} no longer exists.")
    if path.stat().st_size != export.size:
        raise ApplicationError(f"{path.name} was replaced by a later export of epoch {export.epoch_id}.")
    return path


def export_download_file(export: EpochExport) -> BinaryIO:
    """The file of ``export`` opened for reading (the caller streams and closes it), refused as
    :func:`export_download_path` refuses it."""
    return export_download_path(export).open("rb")


WITHDRAW_PERMISSION = "epochs.withdraw_export"


def can_withdraw_export(user: User | None) -> bool:
    """Administrators only: a superuser, or a user holding the ``epochs.withdraw_export`` permission."""
    return bool(
        user is not None
        and getattr(user, "is_active", False)
        and (user.is_superuser or user.has_perm(WITHDRAW_PERMISSION))
    )


@transaction.atomic
def export_withdraw(*, epoch: Epoch, user: User | None, reason: str) -> EpochExport:
    """Withdraw an epoch's export so that it can change again: the reason is recorded, the zip kept.

    Until then an exported epoch is frozen: no retrain, no edited settings, no deletion.
    """
    if not can_withdraw_export(user):
        raise PermissionDenied(f"Only an administrator may withdraw an export ({WITHDRAW_PERMISSION}).")
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError("Give the reason for withdrawing the export: it is recorded with it.")
    epoch = Epoch.objects.select_for_update().get(pk=epoch.pk)
    if not epoch.is_frozen:
        raise ApplicationError(f"Epoch {epoch.id} is {epoch.status}: it has no export to withdraw.")
    export = epoch.exports.filter(withdrawn_at__isnull=True).order_by("-created").first()
    if export is None:
        raise ApplicationError(f"Epoch {epoch.id} has no export left to withdraw.")
    epoch.exports.filter(withdrawn_at__isnull=True).update(
        withdrawn_at=timezone.now(),
        withdrawn_by=user if getattr(user, "is_authenticated", False) else None,
        withdrawal_reason=reason,
    )
    epoch.mark_export_withdrawn()
    export.refresh_from_db()
    return export
