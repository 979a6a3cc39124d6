"""Real file-system faults for tests: a full disk (a size-limited tmpfs) or a read-only folder.

Root writes into a folder without write bits, so a chmod proves nothing: these are mounts.
Mounting needs root (CAP_SYS_ADMIN); where it is refused the test is skipped with the reason.
"""

from __future__ import annotations

import contextlib
import subprocess
from pathlib import Path

import pytest


def _run(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run(list(argv), capture_output=True, text=True)


@contextlib.contextmanager
def full_disk(path: Path, size: str = "64k"):
    """Mount a tmpfs of ``size`` bytes at ``path`` (created if missing) for the block's duration."""
    path.mkdir(parents=True, exist_ok=True)
    mounted = _run("mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path))
    if mounted.returncode:
        pytest.skip(
            f"a size-limited tmpfs cannot be mounted here ({mounted.stderr.strip() or 'mount refused'}); "
            "the full-disk case needs root"
        )
    try:
        yield path
    finally:
        _run("umount", "-l", str(path))


@contextlib.contextmanager
def read_only(path: Path):
    """Bind-mount ``path`` onto itself read-only for the block's duration."""
    path.mkdir(parents=True, exist_ok=True)
    mounted = _run("mount", "--bind", str(path), str(path))
    if mounted.returncode:
        pytest.skip(f"a read-only bind mount cannot be made here ({mounted.stderr.strip() or 'mount refused'})")
    try:
        remounted = _run("mount", "-o", "remount,bind,ro", str(path))
        if remounted.returncode:
            pytest.skip(f"a bind mount cannot be made read-only here ({remounted.stderr.strip()})")
        yield path
    finally:
        _run("umount", "-l", str(path))
