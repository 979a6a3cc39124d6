"""Reading an Epoch File: member names and the zip directory checked, JSON members parsed, in memory."""

from __future__ import annotations

import os
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

from core.files import human_size
from core.json_limits import JSONLimitError, loads_bounded
from epochs.engine.epoch_file_contract import EPOCH_JSON, MODEL_CERTIFICATE, REGRESSION_CERTIFICATES
from epochs.engine.epoch_params import validate_epoch_id
from epochs.engine.errors import EpochParameterError

from .format import COPY_CHUNK_BYTES, DEFAULT_LIMITS, JSON_MEMBERS, MANIFEST, EpochFile, EpochFileError, EpochFileLimits


def member_problem(name: str) -> str | None:
    """Why a member name is refused, or None. Epoca reads only the archive's top level."""
    if name.endswith("/"):
        return "folders are not allowed (every member must be at the zip root)"
    if "/" in name or "\\" in name:
        return "folders or path separators are not allowed (every member must be at the zip root)"
    if name in ("", ".", "..") or name.startswith("..") or "\x00" in name or ":" in name:
        return "not a plain file name"
    return None


def directory_problem(infos: Sequence[zipfile.ZipInfo], limits: EpochFileLimits) -> str | None:
    """The first rule of ``limits`` the zip directory breaks, or None (no member is read for this)."""
    if len(infos) > limits.members:
        return f"{len(infos)} members, more than the limit of {limits.members}"
    seen: set[str] = set()
    total = 0
    for info in infos:
        name = info.filename
        if len(name) > limits.name_chars:
            return f"member {name[:60]!r}...: a name longer than {limits.name_chars} characters"
        problem = member_problem(name)
        if problem:
            return f"member {name!r}: {problem}"
        if name in seen:
            return f"member {name!r}: appears twice"
        seen.add(name)
        cap = limits.json_bytes if name.endswith(".json") else limits.member_bytes
        if info.file_size > cap:
            return f"member {name}: {human_size(info.file_size)} uncompressed, over the limit of {human_size(cap)}"
        if info.file_size > 2**20 and info.file_size > limits.compression_ratio * max(info.compress_size, 1):
            return (
                f"member {name}: compressed {info.file_size / max(info.compress_size, 1):.0f} to 1, over the limit "
                f"of {limits.compression_ratio} to 1 (a zip bomb?)"
            )
        total += info.file_size
        if total > limits.total_bytes:
            return f"the members hold more than {human_size(limits.total_bytes)} uncompressed (the limit)"
    return None


def open_zip(
    source: str | os.PathLike | IO[bytes], name: str, limits: EpochFileLimits = DEFAULT_LIMITS
) -> zipfile.ZipFile:
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise EpochFileError(f"{name}: not a zip archive, or a truncated one ({exc})") from None
    problem = directory_problem(archive.infolist(), limits)
    if problem:
        archive.close()
        raise EpochFileError(f"{name}: {problem}")
    return archive


def read_member(archive: zipfile.ZipFile, member: str, name: str) -> bytes:
    try:
        return archive.read(member)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError, NotImplementedError) as exc:
        raise EpochFileError(f"{name}: member {member}: cannot be read, the zip is damaged ({exc})") from None


def copy_member(archive: zipfile.ZipFile, member: str, target: IO[bytes], name: str, max_bytes: int) -> int:
    """Copy one member into ``target`` in bounded chunks, stopping once it passes ``max_bytes``."""
    copied = 0
    try:
        with archive.open(member) as stream:
            while chunk := stream.read(COPY_CHUNK_BYTES):
                copied += len(chunk)
                if copied > max_bytes:
                    raise EpochFileError(
                        f"{name}: member {member}: more than {human_size(max_bytes)} uncompressed (the limit)"
                    )
                target.write(chunk)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError, NotImplementedError) as exc:
        raise EpochFileError(f"{name}: member {member}: cannot be read, the zip is damaged ({exc})") from None
    target.flush()
    return copied


def _parse_json(data: bytes, member: str, name: str, limits: EpochFileLimits = DEFAULT_LIMITS) -> Any:
    # Epoca replaces every literal NaN by 0 before parsing; Infinity makes its parser fail.
    def refuse(constant: str) -> float:
        if constant == "NaN":
            return 0
        raise ValueError(f"{constant} is not valid JSON for Epoca")

    try:
        return loads_bounded(
            data,
            max_bytes=limits.json_bytes,
            max_depth=limits.json_depth,
            what=f"{name}: member {member}",
            parse_constant=refuse,
        )
    except JSONLimitError as exc:
        raise EpochFileError(str(exc)) from None
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise EpochFileError(f"{name}: member {member}: not valid JSON ({exc})") from None


def read_epoch_file(
    source: str | os.PathLike | IO[bytes],
    *,
    name: str | None = None,
    strict_name: bool = True,
    limits: EpochFileLimits = DEFAULT_LIMITS,
) -> EpochFile:
    """Read and check an Epoch File the way Epoca's install does (§2 steps 3-4).

    ``name`` is the file name the user gave; by default the path's. With ``strict_name`` (our
    own exports) a name other than ``<epoch.json id>.zip`` is refused; an inspection reports
    it as a problem instead (:func:`name_problem`). Raises :class:`EpochFileError` for anything
    Epoca would refuse and for anything over ``limits``.
    """
    name = name or Path(str(source)).name
    if strict_name and not name.lower().endswith(".zip"):
        raise EpochFileError(f"{name}: an Epoch File is named <EPOCH_ID>.zip")
    with open_zip(source, name, limits) as archive:
        members = {info.filename: info.file_size for info in archive.infolist()}
        missing = [m for m in JSON_MEMBERS if m not in members]
        if missing:
            raise EpochFileError(f"{name}: missing member(s) {', '.join(missing)} at the zip root")
        config, certificate, regressions = (
            _parse_json(read_member(archive, m, name), m, name, limits) for m in JSON_MEMBERS
        )
        manifest = (
            _parse_json(read_member(archive, MANIFEST, name), MANIFEST, name, limits) if MANIFEST in members else None
        )
    h5 = sorted(m for m in members if m.endswith(".h5"))
    file = EpochFile(name, config, certificate, regressions, h5, manifest, members)
    _check_install(file, strict_name)
    return file


def name_problem(file: EpochFile) -> str | None:
    """Epoca takes the epoch id from the file name: any other name blocks the install."""
    if file.name != file.expected_name:
        return (
            f"{file.name}: Epoca takes the epoch id from the file name, and this archive's {EPOCH_JSON} says "
            f"{file.epoch_id!r}: rename the file to {file.expected_name} before installing it"
        )
    return None


def _check_install(file: EpochFile, strict_name: bool = True) -> None:
    """Epoca's ``canEpochBeInstalled`` plus the epoch-id check of the upload."""
    name = file.name
    for member, value, kind in (
        (EPOCH_JSON, file.epoch_config, dict),
        (MODEL_CERTIFICATE, file.model_certificate, dict),
        (REGRESSION_CERTIFICATES, file.regression_certificates, list),
    ):
        if not isinstance(value, kind):
            raise EpochFileError(f"{name}: member {member}: expected a JSON {'object' if kind is dict else 'array'}")
    if not file.regression_certificates:
        raise EpochFileError(f"{name}: member {REGRESSION_CERTIFICATES}: must hold at least one certificate")
    if not file.h5_members:
        raise EpochFileError(f"{name}: holds no .h5 model file")
    config_id = file.epoch_config.get("id")
    try:
        validate_epoch_id(config_id)
    except EpochParameterError as exc:
        raise EpochFileError(f"{name}: member {EPOCH_JSON}: id {str(config_id)[:120]!r}: {exc}") from None
    if strict_name and name != file.expected_name:
        raise EpochFileError(
            f"{name}: member {EPOCH_JSON}: id {config_id!r} differs from the file name's {Path(name).stem!r} "
            f"(expected {file.expected_name})"
        )
    model = file.model_certificate.get("model")
    if not isinstance(model, dict) or not isinstance(model.get("regressions"), list) or not model["regressions"]:
        raise EpochFileError(f"{name}: member {MODEL_CERTIFICATE}: model.regressions must be a non-empty list")
    certified = {c.get("id") for c in file.regression_certificates if isinstance(c, dict)}
    for i, rid in enumerate(file.model_regression_ids):
        if not isinstance(rid, str):
            raise EpochFileError(f"{name}: member {MODEL_CERTIFICATE}: model.regressions[{i}].id must be a string")
        if f"{rid}.h5" not in file.members:
            raise EpochFileError(f"{name}: model.regressions[{i}] {rid}: member {rid}.h5 is missing")
        if rid not in certified:
            raise EpochFileError(f"{name}: model.regressions[{i}] {rid}: no certificate in {REGRESSION_CERTIFICATES}")
