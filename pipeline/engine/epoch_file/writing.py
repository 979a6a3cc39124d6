"""Writing an Epoch File atomically, with its manifest."""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from core.files import atomic_path, human_size
from epochs.engine.epoch_file_contract import EPOCH_JSON, MODEL_CERTIFICATE, REGRESSION_CERTIFICATES, id_problems

from .format import MANIFEST, MANIFEST_FORMAT, MAX_EPOCH_FILE_BYTES, EpochFileError
from .h5 import _check_h5


def member_manifest(members: Mapping[str, bytes]) -> dict[str, dict]:
    return {name: {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)} for name, data in members.items()}


def write_epoch_file(
    path: str | os.PathLike,
    *,
    epoch_config: Mapping,
    model_certificate: Mapping,
    regression_certificates: Sequence[Mapping],
    h5_files: Mapping[str, str | os.PathLike],
    created: int,
    max_bytes: int = MAX_EPOCH_FILE_BYTES,
    before_publish: Callable[[Path], None] | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> dict:
    """Write ``path`` (``<EPOCH_ID>.zip``) atomically and return its manifest.

    ``h5_files`` maps each regression id to its legacy ``.h5``; certificates are written in the
    order of ``model.regressions``. ``before_publish(temp_path)`` (the verification) runs on the
    finished temporary zip; the file takes its name only when it returns. Raises
    :class:`EpochFileError` when the content breaks an id rule or the zip exceeds ``max_bytes``.
    """
    path = Path(path)
    if path.name != f"{epoch_config.get('id')}.zip":
        raise EpochFileError(f"{path.name}: the Epoch File must be named <epoch.json id>.zip")
    problems = id_problems(epoch_config, model_certificate, regression_certificates)
    order = [r["id"] for r in model_certificate["model"]["regressions"]]
    if set(h5_files) != set(order):
        problems.append(f"model files: expected one .h5 per model regression, got {sorted(h5_files)}")
    if problems:
        raise EpochFileError(f"{path.name}: " + "; ".join(problems))
    by_id = {c["id"]: c for c in regression_certificates}
    members: dict[str, bytes] = {
        EPOCH_JSON: _json_bytes(epoch_config),
        MODEL_CERTIFICATE: _json_bytes(model_certificate),
        REGRESSION_CERTIFICATES: _json_bytes([by_id[rid] for rid in order]),
    }
    total = len(order) + 1
    with atomic_path(path) as tmp:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, data in members.items():
                archive.writestr(name, data)
            for i, rid in enumerate(order):
                data = Path(h5_files[rid]).read_bytes()
                _check_h5(data, rid, f"{rid}.h5")
                members[f"{rid}.h5"] = data
                archive.writestr(f"{rid}.h5", data)
                if progress:
                    progress(i + 1, total, f"added {rid}.h5")
            manifest = {
                "format": MANIFEST_FORMAT,
                "version": 1,
                "epoch_id": epoch_config["id"],
                "prediction_model_id": model_certificate["id"],
                "regression_ids": order,
                "created": int(created),
                "members": member_manifest(members),
            }
            archive.writestr(MANIFEST, _json_bytes(manifest))
        size = tmp.stat().st_size
        if size > max_bytes:
            raise EpochFileError(
                f"{path.name}: {human_size(size)} exceeds Epoca's upload limit of {human_size(max_bytes)} "
                "(choose a model with fewer or smaller regressions)"
            )
        if progress:
            progress(total, total, "written; verifying")
        if before_publish:
            before_publish(tmp)
    return {**manifest, "bytes": size}


def _json_bytes(value: Any) -> bytes:
    return json.dumps(value, allow_nan=False).encode("utf-8")
