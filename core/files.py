"""File helpers shared by every app: atomic writes, confined paths, checksums.

Artifacts are written to a temporary file in the destination folder and renamed into
place, so a crash never leaves a half-written file that looks complete.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any


class UnsafePathError(ValueError):
    """A path built from user input would leave its base directory."""


def safe_join(base: str | os.PathLike, *parts: str) -> Path:
    """Join ``parts`` below ``base`` and refuse anything that escapes it.

    Rejects absolute parts, ``..`` components and symlinks pointing outside ``base``.
    """
    root = Path(base).resolve()
    for part in parts:
        if not isinstance(part, str) or not part:
            raise UnsafePathError(f"empty path component below {root}")
        if part.startswith(("/", "\\")) or "\x00" in part:
            raise UnsafePathError(f"path component {part!r} is not relative")
        if any(p in ("..",) for p in Path(part).parts):
            raise UnsafePathError(f"path component {part!r} contains '..'")
    candidate = root.joinpath(*parts).resolve()
    if candidate != root and root not in candidate.parents:
        raise UnsafePathError(f"{candidate} is outside {root}")
    return candidate


def _temp_sibling(target: Path, suffix: str) -> tuple[int, str]:
    """A temporary sibling named after its writer's pid, after removing those of dead writers
    (a process killed mid-write cannot remove its own)."""
    for stale in target.parent.glob(f".{glob.escape(target.name)}.*"):
        pid = stale.name[len(target.name) + 2 :].split(".", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            with contextlib.suppress(FileNotFoundError):
                stale.unlink()
    return tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}.", suffix=suffix, dir=target.parent)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike, mode: str = "w", **kwargs: Any) -> Iterator[IO]:
    """Open a temporary sibling of ``path``; rename it over ``path`` only on success."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = _temp_sibling(target, ".tmp")
    try:
        with os.fdopen(fd, mode, **kwargs) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path to write with any library; rename it into place on success."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = _temp_sibling(target, ".tmp" + target.suffix)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_json(path: str | os.PathLike, data: Any, *, indent: int | None = None) -> Path:
    """Write JSON atomically. NaN and Infinity are refused (Epoca cannot parse Infinity)."""
    with atomic_open(path, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=indent, allow_nan=False)
    return Path(path)


def read_json(path: str | os.PathLike) -> Any:
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def sha256_file(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(chunk), b""):
            digest.update(block)
    return digest.hexdigest()


def human_size(size: int | float | None) -> str:
    """Bytes in binary units, one decimal, the same everywhere: ``512 B``, ``180.4 KiB``, ``3.2 MiB``, ``1.1 GiB``."""
    if size is None:
        return "—"
    size = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(size) < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TiB"
