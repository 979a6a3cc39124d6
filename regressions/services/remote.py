"""The UNIT_TEST server check: proves that a cluster server trains our regressions.

The check trains the epoch's UNIT_TEST regression on the server in a scratch epoch folder
(``<remote root>/checks/job-<id>``), pulls the files back verified, checks the certificate and
its discovery, and leaves the outcome on the server's action log. The central epoch folder and
the Regression row are never touched, so a trained UNIT_TEST regression stays as it is.
"""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path

from django.conf import settings

from cluster.jobs import JobFailed
from cluster.models import Server
from cluster.remote.commands import expand_remote_root, quote, remote_path, run_checked
from cluster.remote.errors import RemoteError
from cluster.services.remote_jobs import PYTHON, RemoteRun, ServerLostError, run_remote
from cluster.services.servers import UNREACHABLE, _record, server_connect, server_reachable
from core.files import read_json, sha256_file
from epochs.engine.layout import H5_FILE, TRAINING_EXCLUDES, EpochLayout
from epochs.services.paths import epoch_dir
from regressions.engine.certificate import CertificateError, validate_certificate
from regressions.engine.pipeline import CERTIFICATE, is_trained, regression_dir
from regressions.models import Regression
from regressions.services.training import train_argv

CHECK_NAME = "unit_test"
CHECK_KIND = "regressions.unit_test_check"
CHECK_LABEL = "Train the UNIT_TEST regression on the server"


def unit_test_regression(epoch_id: str | None = None) -> Regression:
    """The UNIT_TEST regression of ``epoch_id``, else of the newest epoch that has one."""
    regressions = Regression.objects.select_related("config__batch").filter(config__category="UNIT_TEST")
    if epoch_id:
        regressions = regressions.filter(epoch_id=epoch_id)
    regression = regressions.order_by("-epoch__created").first()
    if regression is None:
        where = f"epoch {epoch_id}" if epoch_id else "any epoch"
        raise JobFailed(f"{where} has no UNIT_TEST regression: generate the epoch's regression configs first")
    return regression


def unit_test_check(run: RemoteRun, *, server: Server, epoch_id: str | None = None) -> dict:
    """Run the check on ``server`` (the job's target); the action log gets its outcome."""
    try:
        regression = unit_test_regression(epoch_id)
        if not server_reachable(server):
            raise JobFailed(f"server {server.name} does not answer")
        scratch = EpochLayout(f"checks/job-{run.job.pk}", epoch_id=regression.epoch_id)  # a scratch epoch folder
        tmp_root = Path(settings.VAR_DIR) / "tmp"
        tmp_root.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="check-", dir=tmp_root) as local:
            pulled = EpochLayout(Path(local)).regression_dir(regression.config_id)
            try:
                run_remote(
                    run,
                    server,
                    argv=train_argv(
                        regression=regression,
                        python=PYTHON,
                        epoch_folder=f"../{scratch.root}",
                        concurrent=server.max_jobs,
                    ),
                    push=[(epoch_dir(regression.epoch_id), str(scratch.root), TRAINING_EXCLUDES)],
                    pull=[(str(scratch.regression_dir(regression.config_id)), pulled)],
                    env={"TRAINING_THREADS": str(settings.TRAINING_THREADS)},
                )
            finally:
                _remove_scratch(run.job.server or server, str(scratch.root))
            if run.job.server_id != server.pk:  # run_remote moves a job whose server does not answer
                raise JobFailed(f"server {server.name} stopped answering before the check started")
            outcome = _verify(Path(local), regression)
    except ServerLostError:
        raise  # queued again: the next attempt records the outcome
    except JobFailed as exc:
        _record(server, f"check {CHECK_NAME}", run.job.created_by, False, f"job #{run.job.pk}: {exc}")
        raise
    _record(server, f"check {CHECK_NAME}", run.job.created_by, True, f"job #{run.job.pk}: {_summary(outcome)}")
    return outcome


def _verify(scratch_epoch: Path, regression: Regression) -> dict:
    """The pulled regression's certificate is complete and valid; its discovery is summarised."""
    if not is_trained(scratch_epoch, regression.config_id):
        raise JobFailed(f"the server returned an incomplete regression folder for {regression.config_id}")
    folder = regression_dir(scratch_epoch, regression.config_id)
    certificate = read_json(folder / CERTIFICATE)
    try:
        validate_certificate(certificate)
    except CertificateError as exc:
        raise JobFailed(f"the certificate trained on the server is invalid: {exc}") from None
    discovery = certificate["discovery"]
    return {
        "regression": regression.config_id,
        "epoch": regression.epoch_id,
        "epochs_trained": len(certificate["training_history"]["loss"]),
        "test_loss": certificate["test_ds_evaluation"][certificate["loss"]],
        "accuracy": discovery["accuracy"],
        "increase_accuracy": discovery["increase_accuracy"],
        "decrease_accuracy": discovery["decrease_accuracy"],
        "points": discovery["points"],
        "h5_sha256": sha256_file(folder / H5_FILE),
        "package_versions": certificate.get("package_versions", {}),
    }


def _summary(outcome: dict) -> str:
    return (
        f"{outcome['regression']} of {outcome['epoch']} trained in {outcome['epochs_trained']} epochs: "
        f"test loss {outcome['test_loss']:.6g}, discovery accuracy {outcome['accuracy']:.2f}% "
        f"(increase {outcome['increase_accuracy']:.2f}%, decrease {outcome['decrease_accuracy']:.2f}%), "
        f"points {outcome['points']:.6g}"
    )


def _remove_scratch(server: Server, scratch: str) -> None:
    """Best effort: a server that does not answer keeps its scratch folder."""
    with contextlib.suppress(RemoteError, *UNREACHABLE), contextlib.closing(server_connect(server)) as conn:
        root = expand_remote_root(conn, server.remote_root)
        run_checked(conn, f"rm -rf -- {quote(remote_path(root, scratch))}")


__all__ = ["CHECK_KIND", "CHECK_LABEL", "CHECK_NAME", "unit_test_check", "unit_test_regression"]
