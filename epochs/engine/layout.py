"""The epoch folder's layout: every folder and file of an epoch, in one place.

``EpochLayout(root)`` names them below ``root``: a local ``Path`` (ids are joined with
``safe_join``, so no id can leave the folder) or a server's POSIX path (``PurePosixPath`` or a
string: the same names, checked the same way, never resolved on this machine). Nothing else
spells these names; code that needs a path asks the layout for it.
"""

from __future__ import annotations

from pathlib import Path, PurePath, PurePosixPath
from typing import cast

from core.files import UnsafePathError, safe_join

# Folder names (relative to the epoch folder).
CANDLESTICKS = "candlesticks"
TRAINING_CONFIGS = "regression_training_configs"
TRAINING_CHECKPOINTS = "regression_training_checkpoints"
BATCHED_CERTIFICATES = "regression_batched_certificates"
REGRESSIONS = "regressions"
RETRAINING = "regression_retraining"  # generation N's files, swapped in once complete
PREDICTION_MODELS = "prediction_models"
ASSETS = f"{PREDICTION_MODELS}/assets"
MODEL_CONFIGS = f"{PREDICTION_MODELS}/configs"
PROFITABLE_CONFIGS = f"{PREDICTION_MODELS}/profitable_configs"
CERTIFICATES = f"{PREDICTION_MODELS}/certificates"
CHUNKS = f"{PREDICTION_MODELS}/chunks"
# A chunk's partial overfitting statistics, beside its found configs (OverfittingAccumulator.partial).
CHUNK_OVERFITTING = "overfitting.npz"
FORWARD_TESTS = f"{PREDICTION_MODELS}/forward_tests"
EXPORT = "export"

# File names.
EPOCH_JSON = "epoch.json"
EPOCH_SETTINGS_JSON = "epoch_settings.json"
TRAINING_CONFIGS_RECEIPT = "receipt.txt"
CERTIFICATE = "certificate.json"
KERAS_FILE = "model.keras"
H5_FILE = "model.h5"
SAMPLES_FILE = "test_samples.json"
BUILD_FILE = f"{PREDICTION_MODELS}/build.json"

# Every folder an epoch folder holds from its creation on (servers get the same ones).
SUBDIRS = (
    CANDLESTICKS,
    TRAINING_CONFIGS,
    TRAINING_CHECKPOINTS,
    BATCHED_CERTIFICATES,
    REGRESSIONS,
    RETRAINING,
    PREDICTION_MODELS,
    ASSETS,
    MODEL_CONFIGS,
    PROFITABLE_CONFIGS,
    CERTIFICATES,
)
# The folders an epoch needs on a server before its jobs run (the original's push_epoch_builder).
SERVER_SUBDIRS = (TRAINING_CONFIGS, BATCHED_CERTIFICATES, REGRESSIONS, ASSETS, MODEL_CONFIGS, PROFITABLE_CONFIGS)
# The inputs a training server needs (what the creation writes), and a trained regression's files.
INPUT_FILES = (EPOCH_JSON, EPOCH_SETTINGS_JSON)
INPUT_DIRS = (CANDLESTICKS, TRAINING_CONFIGS)
REGRESSION_FILES = (KERAS_FILE, H5_FILE, SAMPLES_FILE, CERTIFICATE)
REQUIRED_REGRESSION_FILES = (KERAS_FILE, H5_FILE, CERTIFICATE)  # the certificate is written last
# What a training run never copies to a server: outputs (and other stages' files).
TRAINING_EXCLUDES = (
    REGRESSIONS,
    BATCHED_CERTIFICATES,
    TRAINING_CHECKPOINTS,
    RETRAINING,
    PREDICTION_MODELS,
    "*.zip",
    EXPORT,
)


SERVER_EPOCHS = "epochs"  # below a server's root: one folder per epoch, as here


# Files recorded relative to the epoch folder (in rows and in the original's file lists).
def training_config_file(category: str, batch_name: str) -> str:
    """A batch of regression configs (the original's UNIT_TEST batch sits in its own folder)."""
    return f"{TRAINING_CONFIGS}/{category}/{batch_name}.json"


def batched_certificate_file(batch_name: str) -> str:
    return f"{BATCHED_CERTIFICATES}/{batch_name}.json"


def model_certificate_file(model_id: str) -> str:
    return f"{CERTIFICATES}/{model_id}.json"


class EpochLayout:
    """Where each folder and file of one epoch lives, below ``root`` (local or on a server).

    Paths are typed ``Path``; a server's layout gives ``PurePosixPath`` objects (names only:
    nothing on this machine is read through them).
    """

    def __init__(self, root: str | PurePath, *, epoch_id: str | None = None) -> None:
        """``epoch_id``: the epoch's id where the folder is not (yet) named after it (a staging folder)."""
        self.remote = not isinstance(root, Path)
        self.root: Path = cast(Path, PurePosixPath(root)) if self.remote else Path(root)
        self._epoch_id = epoch_id

    @classmethod
    def on_server(cls, epoch_id: str, root: str | PurePath = "") -> EpochLayout:
        """The epoch's folder on a server, below its root (relative to it when ``root`` is empty)."""
        base = PurePosixPath(root) / SERVER_EPOCHS if root else PurePosixPath(SERVER_EPOCHS)
        return cls(base, epoch_id=None).join_layout(epoch_id)

    def join_layout(self, epoch_id: str) -> EpochLayout:
        """The layout of the epoch folder ``epoch_id`` inside this folder (a folder of epochs)."""
        return EpochLayout(self.join(epoch_id) if self.remote else safe_join(self.root, epoch_id))

    def __repr__(self) -> str:
        return f"EpochLayout({str(self.root)!r}{', remote' if self.remote else ''})"

    @property
    def epoch_id(self) -> str:
        return self._epoch_id or self.root.name

    def join(self, *parts: str) -> Path:
        """``parts`` below the root (ids included): refused if any would leave the epoch folder."""
        if not self.remote:
            return safe_join(self.root, *parts)
        for part in parts:
            if (
                not isinstance(part, str)
                or not part
                or part.startswith(("/", "\\"))
                or "\x00" in part
                or ".." in PurePosixPath(part).parts
            ):
                raise UnsafePathError(f"path component {part!r} is not a relative path below {self.root}")
        return self.root.joinpath(*parts)

    def _dir(self, name: str) -> Path:
        return self.root / name

    # -- the epoch -------------------------------------------------------------------------
    @property
    def candlesticks(self) -> Path:
        return self._dir(CANDLESTICKS)

    @property
    def epoch_json(self) -> Path:
        return self.root / EPOCH_JSON

    @property
    def epoch_settings_json(self) -> Path:
        return self.root / EPOCH_SETTINGS_JSON

    @property
    def receipt(self) -> Path:
        return self.root / f"{self.epoch_id}_receipt.txt"

    @property
    def epoch_file(self) -> Path:
        """The exported Epoch File."""
        return self.root / f"{self.epoch_id}.zip"

    @property
    def export_record(self) -> Path:
        return self.root / f"{self.epoch_id}_export.json"

    def subdirs(self) -> list[Path]:
        return [self._dir(name) for name in SUBDIRS]

    # -- regressions -----------------------------------------------------------------------
    @property
    def training_configs(self) -> Path:
        return self._dir(TRAINING_CONFIGS)

    @property
    def training_configs_receipt(self) -> Path:
        return self.training_configs / TRAINING_CONFIGS_RECEIPT

    def training_config(self, category: str, batch_name: str) -> Path:
        return self.join(training_config_file(category, batch_name))

    @property
    def training_checkpoints(self) -> Path:
        return self._dir(TRAINING_CHECKPOINTS)

    def checkpoint_dir(self, regression_id: str) -> Path:
        return self.join(TRAINING_CHECKPOINTS, regression_id)

    @property
    def batched_certificates(self) -> Path:
        return self._dir(BATCHED_CERTIFICATES)

    def batched_certificate(self, batch_name: str) -> Path:
        return self.join(batched_certificate_file(batch_name))

    @property
    def regressions(self) -> Path:
        return self._dir(REGRESSIONS)

    def regression_dir(self, regression_id: str) -> Path:
        return self.join(REGRESSIONS, regression_id)

    def regression_certificate(self, regression_id: str) -> Path:
        return self.regression_dir(regression_id) / CERTIFICATE

    def regression_keras(self, regression_id: str) -> Path:
        return self.regression_dir(regression_id) / KERAS_FILE

    def regression_h5(self, regression_id: str) -> Path:
        return self.regression_dir(regression_id) / H5_FILE

    def regression_samples(self, regression_id: str) -> Path:
        return self.regression_dir(regression_id) / SAMPLES_FILE

    def retraining_dir(self, regression_id: str, generation: int) -> Path:
        return self.join(RETRAINING, f"{regression_id}.g{int(generation)}")

    # -- prediction models -----------------------------------------------------------------
    @property
    def prediction_models(self) -> Path:
        return self._dir(PREDICTION_MODELS)

    @property
    def assets(self) -> Path:
        return self._dir(ASSETS)

    def search_assets(self, search_id: int | str) -> Path:
        return self.join(ASSETS, str(search_id))

    @property
    def model_configs(self) -> Path:
        return self._dir(MODEL_CONFIGS)

    @property
    def profitable_configs(self) -> Path:
        return self._dir(PROFITABLE_CONFIGS)

    def chunk_dir(self, search_id: int | str, index: int) -> Path:
        return self.join(CHUNKS, str(search_id), str(int(index)))

    def chunk_overfitting(self, search_id: int | str, index: int) -> Path:
        return self.chunk_dir(search_id, index) / CHUNK_OVERFITTING

    @property
    def certificates(self) -> Path:
        return self._dir(CERTIFICATES)

    def model_certificate(self, model_id: str) -> Path:
        return self.join(model_certificate_file(model_id))

    def forward_test_dir(self, forward_test_id: int | str) -> Path:
        return self.join(FORWARD_TESTS, str(forward_test_id))

    @property
    def build_file(self) -> Path:
        return self.root / BUILD_FILE

    @property
    def export(self) -> Path:
        return self._dir(EXPORT)


def regression_files_complete(folder: str | PurePath) -> bool:
    """A local regression folder with every file a trained regression has."""
    return all((Path(folder) / name).exists() for name in REQUIRED_REGRESSION_FILES)
