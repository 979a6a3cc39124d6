"""The epoch folder's layout: one object names every folder and file, locally and on servers."""

import re
from pathlib import Path, PurePosixPath

import pytest

from core.files import UnsafePathError
from epochs.engine import layout as layout_module
from epochs.engine.layout import SERVER_SUBDIRS, SUBDIRS, EpochLayout

REPO = Path(__file__).resolve().parents[3]


def test_every_folder_is_created_with_the_epoch(tmp_path):
    epoch = EpochLayout(tmp_path / "_EROS3")
    for folder in epoch.subdirs():
        folder.mkdir(parents=True)
    made = {p.relative_to(epoch.root).as_posix() for p in epoch.root.rglob("*") if p.is_dir()}
    assert made == set(SUBDIRS)
    # every folder a method names lies in one of them (or is the root's own file)
    named = [
        epoch.candlesticks,
        epoch.training_configs,
        epoch.checkpoint_dir("KR_A"),
        epoch.batched_certificate("B"),
        epoch.regression_certificate("KR_A"),
        epoch.retraining_dir("KR_A", 2),
        epoch.search_assets(3),
        epoch.model_configs,
        epoch.profitable_configs,
        epoch.model_certificate("M1"),
    ]
    for path in named:
        relative = path.relative_to(epoch.root).as_posix()
        assert any(relative == d or relative.startswith(d + "/") for d in SUBDIRS), relative
    assert set(SERVER_SUBDIRS) <= set(SUBDIRS)


def test_local_and_server_paths_name_the_same_files(tmp_path):
    local = EpochLayout(tmp_path / "_EROS3")
    remote = EpochLayout.on_server("_EROS3", "/srv/eb")
    assert isinstance(remote.root, PurePosixPath) and remote.remote and not local.remote
    assert str(remote.root) == "/srv/eb/epochs/_EROS3"
    for name in ("regression_certificate", "regression_h5", "regression_samples", "checkpoint_dir"):
        assert (
            getattr(local, name)("KR_A").relative_to(local.root).as_posix()
            == getattr(remote, name)("KR_A").relative_to(remote.root).as_posix()
        )
    assert local.receipt.name == remote.receipt.name == "_EROS3_receipt.txt"
    assert EpochLayout(tmp_path / ".staging", epoch_id="_EROS3").receipt.name == "_EROS3_receipt.txt"


@pytest.mark.parametrize("bad", ["../x", "/etc", "", "a/../../b"])
def test_an_id_cannot_leave_the_epoch_folder(tmp_path, bad):
    for epoch in (EpochLayout(tmp_path / "_EROS3"), EpochLayout.on_server("_EROS3")):
        with pytest.raises(UnsafePathError):
            epoch.regression_dir(bad)


def test_no_other_module_spells_the_epoch_folder():
    """The layout's file and folder names appear in no other source file (tests and migrations aside)."""
    names = [
        layout_module.CERTIFICATE,
        layout_module.EPOCH_SETTINGS_JSON,
        layout_module.SAMPLES_FILE,
        layout_module.KERAS_FILE,
        layout_module.H5_FILE,
        layout_module.TRAINING_CONFIGS,
        layout_module.TRAINING_CHECKPOINTS,
        layout_module.BATCHED_CERTIFICATES,
        layout_module.RETRAINING,
        layout_module.CERTIFICATES,
        layout_module.ASSETS,
        layout_module.PROFITABLE_CONFIGS,
        "_receipt.txt",
    ]
    pattern = re.compile(
        "|".join(re.escape(f'"{n}') for n in names) + r'|safe_join\([^)]*"regressions"|/ "regressions"|/ "candlesticks"'
    )
    offenders = []
    for path in REPO.rglob("*.py"):
        rel = path.relative_to(REPO).as_posix()
        if (
            rel.startswith((".venv/", "var/", "testing/"))
            or "/tests/" in rel
            or "/migrations/" in rel
            or rel == "epochs/engine/layout.py"
        ):
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if pattern.search(line):
                offenders.append(f"{rel}:{number}: {line.strip()}")
    assert not offenders, "epoch paths spelled outside epochs/engine/layout.py:\n" + "\n".join(offenders)
