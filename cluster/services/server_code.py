"""The repository's source files, and pushing them to a server."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

from django.conf import settings
from fabric import Connection

from cluster.remote import sync

Progress = Callable[[int, int, str], None]


CODE_EXCLUDES = (
    ".venv",
    "var",
    ".git",
    "__pycache__",
    "test-output",
    ".pytest_cache",
    ".hypothesis",
    "staticfiles",
    "*.pyc",
    ".env",
)


CODE_DIR = "code"


def code_files(base: str | os.PathLike | None = None) -> list[str]:
    """The repository's source files: git's tracked and not-ignored files, else a filtered walk."""
    base = Path(base or settings.BASE_DIR)
    try:
        listing = (
            subprocess.run(
                ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                cwd=base,
                capture_output=True,
                check=True,
                timeout=60,
            )
            .stdout.decode("utf-8")
            .split("\0")
        )
    except (OSError, subprocess.SubprocessError):
        listing = list(sync.local_manifest(base, exclude=CODE_EXCLUDES))
    files = {rel for rel in listing if rel and not sync._excluded(rel, CODE_EXCLUDES)}
    return sorted(rel for rel in files if (base / rel).is_file() and not (base / rel).is_symlink())


@contextlib.contextmanager
def staged(files: Mapping[str, Path]) -> Iterator[Path]:
    """A temporary folder holding exactly ``files`` (relative name -> source), hard-linked
    where possible, so a sync can push a chosen set of files."""
    tmp_root = Path(settings.VAR_DIR) / "tmp"
    tmp_root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="stage-", dir=tmp_root) as folder:
        for rel, source in files.items():
            target = Path(folder, rel)
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(source, target)
            except OSError:
                shutil.copyfile(source, target)
        yield Path(folder)


def push_code(
    conn: Connection, root: str, *, progress: Progress | None = None, top_level_only: bool = False
) -> sync.SyncReport:
    """Send the repository's source files that changed to ``<root>/code``."""
    base = Path(settings.BASE_DIR)
    files = {rel: base / rel for rel in code_files(base) if not top_level_only or "/" not in rel}
    with staged(files) as folder:
        return sync.push(conn, folder, root, CODE_DIR, progress=progress)
