"""What the regression pages show that lives in files: read here, so the views read none."""

from __future__ import annotations

from collections.abc import Iterable

from core.files import read_json
from epochs.services.paths import epoch_layout
from regressions import selectors
from regressions.choices import RegressionStatus
from regressions.engine.ebe import regression_evaluation
from regressions.engine.training import read_partial_history
from regressions.models import Regression
from regressions.services import files as certificate_files


def regression_page(regression: Regression) -> tuple[dict, list, dict]:
    """A trained regression's certificate, its stored prediction samples (none when missing) and
    its Epoch Builder Evaluation."""
    cert = certificate_files.regression_certificate(regression)
    samples_file = epoch_layout(regression.epoch_id).regression_samples(regression.config_id)
    return cert, read_json(samples_file) if samples_file.exists() else [], regression_evaluation(cert)


def regression_page_evaluation(regression: Regression) -> dict:
    """The Epoch Builder Evaluation of the regression's certificate (EPOCA_CONTRACT.md §5.1)."""
    return regression_evaluation(certificate_files.regression_certificate(regression))


def training_history(regression: Regression, *, retraining: bool | None = None) -> dict:
    """Every epoch's loss, val_loss and metrics so far: the certificate's once trained, else the
    epochs a running training has finished: a local one's from the file beside its checkpoint,
    a server's (loss and val_loss) from what its job keeps of each epoch's report. A trained
    regression that a running job retrains (``retraining``; None: looked up) shows the retraining's.

    ``live`` says whether the training is still going (the pages poll while it is).
    """
    if retraining is None:
        retraining = bool(selectors.retraining_now([regression]))
    live = regression.status == RegressionStatus.TRAINING or retraining
    if regression.status == RegressionStatus.TRAINED and not retraining:
        cert = certificate_files.regression_certificate(regression)
        history = cert["training_history"]
        epochs = len(history.get("loss", []))
        partial = {"epochs": epochs, "max_epochs": epochs, "best_epoch": cert["best_epoch"], "history": history}
    else:
        checkpoint = epoch_layout(regression.epoch_id).checkpoint_dir(regression.config_id)
        partial = (
            read_partial_history(checkpoint)
            or (selectors.live_training_curve(regression) if live else None)
            or {"epochs": 0, "max_epochs": None, "best_epoch": None, "history": {}}
        )
    return {
        "id": regression.config_id,
        "status": regression.status,
        "live": live,
        "retraining": retraining,
        "epochs": partial["epochs"],
        "max_epochs": partial["max_epochs"],
        "best_epoch": partial["best_epoch"],
        "history": partial["history"],
    }


def training_histories(regressions: Iterable[Regression]) -> list[dict]:
    """The live histories of those of ``regressions`` that train now, a first time or again."""
    regressions = list(regressions)
    retrained = selectors.retraining_now(regressions)
    return [
        training_history(r, retraining=r.config_id in retrained)
        for r in regressions
        if r.status == RegressionStatus.TRAINING or r.config_id in retrained
    ]
