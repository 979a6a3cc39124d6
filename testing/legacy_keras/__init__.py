"""Run regression ``.h5`` files through TensorFlow's legacy Keras loader, as Epoca does.

The loader lives in a separate virtualenv (``LEGACY_KERAS_VENV``, default
``~/.cache/epoch-builder/legacy-keras-venv``, kept between clones) holding the consumer's TensorFlow 2.10 (Python 3.10) or, where
no Python 3.10 exists, TensorFlow 2.12, the oldest release with Python 3.11 wheels; both ship
``tensorflow.python.keras.saving.hdf5_format``. It is created on first use from PyPI; when that
is impossible, :class:`LegacyKerasUnavailable` says why and the tests skip.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("load_h5.py")
MARKER = ".epoca-legacy-keras-complete"
# (python version, packages): the consumer's exact stack first.
STACKS = (
    ((3, 10), ("tensorflow-cpu==2.10.0", "numpy==1.23.5", "h5py==3.6.0")),
    ((3, 11), ("tensorflow-cpu==2.12.0", "numpy==1.23.5", "h5py==3.8.0")),
)


class LegacyKerasUnavailable(RuntimeError):
    """The legacy-Keras virtualenv is missing and could not be created."""


def venv_path() -> Path:
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return Path(os.environ.get("LEGACY_KERAS_VENV") or cache / "epoch-builder" / "legacy-keras-venv")


def legacy_python() -> Path:
    """The legacy virtualenv's interpreter, creating the virtualenv when needed."""
    venv = venv_path()
    python = venv / "bin" / "python"
    if (venv / MARKER).exists() and python.exists():
        return python
    base, packages = _base_interpreter()
    shutil.rmtree(venv, ignore_errors=True)
    steps = (
        [base, "-m", "venv", str(venv)],
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *packages],
    )
    for command in steps:
        done = subprocess.run(command, capture_output=True, text=True, timeout=1800)
        if done.returncode != 0:
            shutil.rmtree(venv, ignore_errors=True)
            raise LegacyKerasUnavailable(
                f"cannot create {venv} ({' '.join(command[:4])} ...): {done.stderr.strip()[-600:]}"
            )
    (venv / MARKER).write_text(" ".join(packages) + "\n")
    return python


def legacy_predict(h5_paths: list[Path], inputs: np.ndarray) -> dict:
    """Load each file with the legacy loader and predict every row of ``inputs`` as ``(1, lookback)``.

    Returns ``{"tensorflow": version, "models": {str(path): {"attrs": {...}, "predictions": [...]}}}``.
    """
    python = legacy_python()
    with tempfile.TemporaryDirectory() as folder:
        inputs_path = Path(folder) / "inputs.npy"
        np.save(inputs_path, np.asarray(inputs, dtype=np.float64))
        env = {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
        env.update(TF_CPP_MIN_LOG_LEVEL="2", CUDA_VISIBLE_DEVICES="")
        done = subprocess.run(
            [str(python), str(SCRIPT), str(inputs_path), *map(str, h5_paths)],
            capture_output=True,
            text=True,
            timeout=600,
            env=env,
        )
    if done.returncode != 0:
        raise AssertionError(f"legacy loader failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout)


def _base_interpreter() -> tuple[str, tuple[str, ...]]:
    for version, packages in STACKS:
        for candidate in _interpreters(version):
            if _python_version(candidate) == version:
                return candidate, packages
    raise LegacyKerasUnavailable("no Python 3.10 or 3.11 interpreter to build the legacy-Keras virtualenv")


def _interpreters(version: tuple[int, int]) -> list[str]:
    name = f"python{version[0]}.{version[1]}"
    pyenv_root = os.environ.get("PYENV_ROOT") or str(Path.home() / ".pyenv")
    found = [shutil.which(name), *sorted(glob.glob(f"{pyenv_root}/versions/{version[0]}.{version[1]}.*/bin/{name}"))]
    if sys.version_info[:2] == version:
        found.append(sys.executable)
    return [path for path in found if path]


def _python_version(interpreter: str) -> tuple[int, int] | None:
    try:
        done = subprocess.run(
            [interpreter, "-c", "import sys, venv; print(*sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=60,
        )
    except OSError:
        return None
    if done.returncode != 0:
        return None
    major, minor = done.stdout.split()
    return int(major), int(minor)
