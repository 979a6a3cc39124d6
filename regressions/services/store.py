"""The central epoch store for scale-out workers: what the central serves and accepts, and the
worker's client for it.

A worker machine in "remote store" mode (``CENTRAL_URL`` and ``CENTRAL_TOKEN`` set) keeps its
own ``EPOCHS_ROOT``. Before training it fetches the epoch's training inputs that it lacks;
after training it uploads the regression's files with their sha256. The central verifies every
checksum and puts the files in place atomically (the certificate last: its presence marks a
regression as trained) before it answers 201; only then does the worker record the regression
as trained. The central store is the source of truth: a local copy it does not hold is stale.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
import shutil
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING

from django.conf import settings

from core.errors import ApplicationError
from core.files import UnsafePathError, atomic_path, read_json, safe_join, sha256_file, write_json

# What training reads of an epoch folder (files, or folders taken whole), and a regression's
# files in the order they are put in place (the certificate comes last).
from epochs.engine.layout import (
    CERTIFICATE,
    INPUT_DIRS,
    INPUT_FILES,
    REGRESSION_FILES,
    REGRESSIONS,
    REQUIRED_REGRESSION_FILES,
    EpochLayout,
)
from epochs.services.paths import epoch_dir
from regressions.engine.pipeline import regression_dir

if TYPE_CHECKING:
    from typing import Any

    from regressions.models import Regression, TrainingBatch

LOCAL_INPUTS_RECORD = ".central_inputs.json"
API_PREFIX = "/api/epoch-store"
RETRIES = 3


class ArtifactError(ApplicationError):
    """An upload or download the store refuses (bad name, path, checksum)."""


class ArtifactConflictError(ArtifactError):
    """The central already holds different files for this regression."""


class CentralStoreError(ApplicationError):
    """The central store did not answer, or answered with an error."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


# --- central side: the files it serves and accepts ------------------------------------------

_sha_cache: dict[tuple[str, int, int], str] = {}


def epoch_file_digest(path: Path) -> dict:
    """sha256 and size, cached by (path, size, mtime): inputs are hashed once per change."""
    info = path.stat()
    key = (str(path), info.st_size, info.st_mtime_ns)
    if key not in _sha_cache:
        _sha_cache[key] = sha256_file(path)
    return {"sha256": _sha_cache[key], "size": info.st_size}


def _regular_files(folder: Path) -> Iterator[Path]:
    # Hidden names are temporary files of atomic writes (and our own records): never served.
    for directory, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            path = Path(directory, name)
            if not name.startswith(".") and path.is_file() and not path.is_symlink():
                yield path


def epoch_inputs_manifest(epoch_folder: Path) -> dict[str, dict]:
    """``{relative path: {sha256, size}}`` of the epoch's training inputs."""
    if not epoch_folder.is_dir():
        raise ArtifactError(f"epoch folder {epoch_folder.name} does not exist")
    manifest = {}
    for name in INPUT_FILES:
        if (epoch_folder / name).is_file():
            manifest[name] = epoch_file_digest(epoch_folder / name)
    for name in INPUT_DIRS:
        for path in _regular_files(epoch_folder / name):
            manifest[path.relative_to(epoch_folder).as_posix()] = epoch_file_digest(path)
    return manifest


def _check_regression_file(name: str) -> None:
    if name not in REGRESSION_FILES:
        raise ArtifactError(f"{name!r} is not a regression file; expected one of {', '.join(REGRESSION_FILES)}")


def servable_path(epoch_folder: Path, rel: str) -> Path:
    """A training input or a regression file of the epoch; anything else is refused."""
    parts = rel.split("/")
    allowed = (
        rel in INPUT_FILES
        or (parts[0] in INPUT_DIRS and len(parts) > 1)
        or (parts[0] == REGRESSIONS and len(parts) == 3 and parts[2] in REGRESSION_FILES)
    )
    if not allowed or any(p.startswith(".") or not p for p in parts):
        raise ArtifactError(f"{rel!r} is not a training input or regression file of the epoch")
    try:
        path = safe_join(epoch_folder, rel)
    except UnsafePathError as exc:
        raise ArtifactError(str(exc)) from None
    if not path.is_file():
        raise FileNotFoundError(rel)
    return path


def stored_regression(epoch_folder: Path, regression_id: str) -> dict:
    """What the store holds of a regression: ``{complete, generation, files: {name: {sha256, size}}}``."""
    folder = _regression_folder(epoch_folder, regression_id)
    files = {name: epoch_file_digest(folder / name) for name in REGRESSION_FILES if (folder / name).is_file()}
    return {
        "complete": all(name in files for name in REQUIRED_REGRESSION_FILES),
        "generation": _stored_generation(folder),
        "files": files,
    }


def _generation_file(folder: Path) -> Path:
    return folder.parent / f".{folder.name}.generation"


def _stored_generation(folder: Path) -> int:
    """The generation (0 for a first training, +1 per retrain) of the files the store holds."""
    try:
        return int(_generation_file(folder).read_text().strip() or 0)
    except (FileNotFoundError, ValueError):
        return 0


def _regression_folder(epoch_folder: Path, regression_id: str) -> Path:
    try:
        return EpochLayout(epoch_folder).regression_dir(regression_id)
    except UnsafePathError as exc:
        raise ArtifactError(f"regression id {regression_id!r}: {exc}") from None


@contextlib.contextmanager
def _locked(lock_file: Path) -> Iterator[None]:
    """Serialise writers of one folder across threads and processes of this machine."""
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_file, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def regression_store(
    epoch_folder: Path,
    regression_id: str,
    files: Mapping[str, IO[bytes]],
    checksums: Mapping[str, str],
    generation: int = 0,
) -> tuple[bool, dict]:
    """Verify and put in place one regression's uploaded files; returns (created, stored manifest).

    Every file must come with its sha256 and match it, or nothing is put in place. A second
    upload of the same files is accepted (created False). A retraining's upload carries a higher
    ``generation`` and replaces the files held; different files of the same or an older
    generation raise `ArtifactConflictError`.
    """
    for name in files:
        _check_regression_file(name)
    missing = [name for name in REQUIRED_REGRESSION_FILES if name not in files]
    if missing:
        raise ArtifactError(f"upload of {regression_id} lacks {', '.join(missing)}")
    unchecked = [name for name in files if not checksums.get(name)]
    if unchecked:
        raise ArtifactError(f"upload of {regression_id} has no sha256 for {', '.join(unchecked)}")
    folder = _regression_folder(epoch_folder, regression_id)
    with _locked(folder.parent / f".{regression_id}.lock"):
        stored = stored_regression(epoch_folder, regression_id)
        if stored["complete"] and generation <= stored["generation"]:
            same = all(stored["files"].get(name, {}).get("sha256") == checksums[name] for name in files)
            if not same:
                raise ArtifactConflictError(
                    f"the store already holds different files for {regression_id} (generation {stored['generation']}, "
                    f"this upload's is {generation})",
                    stored,
                )
            return False, stored
        # The stack renames the files when it closes, last entered first: entering them in
        # reverse order puts the certificate in place last.
        with contextlib.ExitStack() as stack:
            temporary = {}
            for name in reversed(REGRESSION_FILES):
                if name not in files:
                    continue
                tmp = stack.enter_context(atomic_path(folder / name))
                with open(tmp, "wb") as out:
                    shutil.copyfileobj(files[name], out, 1 << 20)
                    out.flush()
                    os.fsync(out.fileno())
                temporary[name] = tmp
            bad = [name for name, tmp in temporary.items() if sha256_file(tmp) != checksums[name]]
            if bad:
                # Leaving the stack removes every temporary file: nothing is put in place.
                raise ArtifactError(f"sha256 mismatch for {regression_id}: {', '.join(bad)}; nothing was stored")
            if stored["complete"]:
                # A newer generation: the old certificate goes first, so that a crash before the
                # new one is in place leaves the folder incomplete, never a mix that looks whole.
                (folder / CERTIFICATE).unlink(missing_ok=True)
        if generation:
            _generation_file(folder).write_text(f"{int(generation)}\n")
        return True, stored_regression(epoch_folder, regression_id)


# --- worker side: the client ------------------------------------------------------------------


def remote_store_enabled() -> bool:
    """Whether this machine is a scale-out worker that sends artifacts to a central store."""
    return bool(getattr(settings, "CENTRAL_URL", ""))


def _url(path: str, query: Mapping[str, str] | None = None) -> str:
    url = settings.CENTRAL_URL.rstrip("/") + path
    return url + ("?" + urllib.parse.urlencode(query) if query else "")


def _epoch_path(epoch_id: str, *parts: str) -> str:
    return (
        "/".join([API_PREFIX, urllib.parse.quote(epoch_id, safe=""), *(urllib.parse.quote(p, safe="") for p in parts)])
        + "/"
    )


def _open(method: str, url: str, *, body: bytes | None = None, content_type: str = "") -> Any:
    """Send one request with the token; retry connection failures and 5xx a few times."""
    headers = {"Authorization": f"Token {settings.CENTRAL_TOKEN}", "Accept": "application/json"}
    if content_type:
        headers["Content-Type"] = content_type
    timeout = getattr(settings, "CENTRAL_TIMEOUT_SECONDS", 300)
    for attempt in range(1, RETRIES + 1):
        request = urllib.request.Request(url, data=body, method=method, headers=headers)
        try:
            return urllib.request.urlopen(request, timeout=timeout)
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", "replace")[:2000]
            if exc.code < 500 or attempt == RETRIES:
                raise CentralStoreError(f"{method} {url} answered {exc.code}: {detail}", status=exc.code) from None
        except (urllib.error.URLError, OSError) as exc:
            if attempt == RETRIES:
                raise CentralStoreError(
                    f"central store {settings.CENTRAL_URL} unreachable: {method} {url}: {exc}"
                ) from None
        time.sleep(attempt)
    raise AssertionError("unreachable")


def _json(method: str, url: str, **kwargs: Any) -> dict:
    with _open(method, url, **kwargs) as response:
        return json.loads(response.read().decode("utf-8"))


def _download(epoch_id: str, rel: str, target: Path, sha256: str) -> None:
    """Fetch one file into place; it takes its final name only once its sha256 matches."""
    with atomic_path(target) as tmp:
        with _open("GET", _url(_epoch_path(epoch_id, "file"), {"path": rel})) as response, open(tmp, "wb") as out:
            shutil.copyfileobj(response, out, 1 << 20)
        seen = sha256_file(tmp)
        if seen != sha256:
            raise CentralStoreError(f"{rel} of epoch {epoch_id} arrived with sha256 {seen}, expected {sha256}")


def epoch_inputs_fetch(*, epoch_id: str) -> dict:
    """Bring the local copy of the epoch's training inputs in line with the central store.

    Files already fetched with the same sha256 (recorded locally) are kept without rehashing.
    """

    folder = epoch_dir(epoch_id)
    manifest = _json("GET", _url(_epoch_path(epoch_id, "inputs")))["files"]
    with _locked(folder / ".central_inputs.lock"):
        record_file = folder / LOCAL_INPUTS_RECORD
        record = read_json(record_file) if record_file.is_file() else {}
        fetched = []
        for rel, entry in sorted(manifest.items()):
            target = safe_join(folder, rel)
            if record.get(rel) == entry and target.is_file() and target.stat().st_size == entry["size"]:
                continue
            _download(epoch_id, rel, target, entry["sha256"])
            record[rel] = entry
            fetched.append(rel)
        if fetched:
            write_json(record_file, record)
    return {"fetched": fetched, "kept": len(manifest) - len(fetched)}


def _adopt(epoch_id: str, regression_id: str, stored: dict) -> dict[str, str]:
    """Replace the local copy of a regression with the central store's."""

    folder = regression_dir(epoch_dir(epoch_id), regression_id)
    shutil.rmtree(folder, ignore_errors=True)
    for name in REGRESSION_FILES:  # certificate last, as the trainer writes them
        if name in stored["files"]:
            _download(epoch_id, f"regressions/{regression_id}/{name}", folder / name, stored["files"][name]["sha256"])
    return {name: entry["sha256"] for name, entry in stored["files"].items()}


def regression_prepare(*, regression: Regression) -> str:
    """Before training: ``"stored"`` when the central store holds it already (the local copy is
    replaced by the central one, to be recorded), else ``"train"`` with the inputs fetched and
    any local copy removed (it is stale: the regression was reset, or never reached the store)."""

    epoch_id, regression_id = regression.epoch_id, regression.config_id
    stored = _json("GET", _url(_epoch_path(epoch_id, "regressions", regression_id)))
    if stored["complete"] and stored.get("generation", 0) >= regression.generation:
        _adopt(epoch_id, regression_id, stored)
        return "stored"
    if regression.generation:  # a retraining: its own folder is fresh, the files in place stay until the swap
        epoch_inputs_fetch(epoch_id=epoch_id)
        return "train"
    shutil.rmtree(regression_dir(epoch_dir(epoch_id), regression_id), ignore_errors=True)
    epoch_inputs_fetch(epoch_id=epoch_id)
    return "train"


def _multipart(fields: Mapping[str, str], files: Mapping[str, Path]) -> tuple[bytes, str]:
    boundary = f"----epoch-builder-{secrets.token_hex(16)}"
    chunks: list[bytes] = []
    for name, value in fields.items():
        chunks.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, path in files.items():
        chunks.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n".encode()
        )
        chunks.append(path.read_bytes())
        chunks.append(b"\r\n")
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks), f"multipart/form-data; boundary={boundary}"


def regression_upload(*, regression: Regression) -> dict[str, str]:
    """Send a trained regression's files to the central store; returns ``{name: sha256}`` of
    what the store holds. Should the store hold different files already (another worker got
    there first), the local copy is replaced by the store's, so that both record the same."""

    epoch_id, regression_id = regression.epoch_id, regression.config_id
    folder = regression_dir(epoch_dir(epoch_id), regression_id)
    files = {name: folder / name for name in REGRESSION_FILES if (folder / name).is_file()}
    checksums = {name: sha256_file(path) for name, path in files.items()}
    body, content_type = _multipart({"sha256": json.dumps(checksums), "generation": str(regression.generation)}, files)
    url = _url(_epoch_path(epoch_id, "regressions", regression_id))
    try:
        _json("POST", url, body=body, content_type=content_type)
    except CentralStoreError as exc:
        if exc.status != 409:
            raise
        return _adopt(epoch_id, regression_id, _json("GET", url))
    return checksums


def batch_certificate_request(*, batch: TrainingBatch) -> str:
    """Ask the central store to write the batched certificate from the certificates it holds."""
    answer = _json("POST", _url(_epoch_path(batch.epoch_id, "batched-certificates", batch.name)))
    return answer["path"]
