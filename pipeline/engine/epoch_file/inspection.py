"""Inspecting any Epoch File: what Epoca would install, with long values cut."""

from __future__ import annotations

import os
import tempfile
from typing import IO, Any

from epochs.engine.epoch_file_contract import contract_problems, id_problems

from .format import DEFAULT_LIMITS, EpochFileError, EpochFileLimits
from .h5 import _truncated, h5_metadata
from .reading import copy_member, name_problem, open_zip, read_epoch_file
from .verification import VerifyReport, _verify_manifest


def inspect_epoch_file(
    source: IO[bytes] | str | os.PathLike, *, name: str, limits: EpochFileLimits = DEFAULT_LIMITS
) -> dict:
    """Everything a person needs to judge any Epoch File (ours or the original tool's).

    The zip directory is checked against ``limits`` before any member is read; JSON members are
    parsed in memory, each ``.h5`` is copied in bounded chunks to a temporary file and read
    with h5py (never loaded by Keras). Nothing is written elsewhere or extracted. Raises
    :class:`EpochFileError` when the zip is not an installable Epoch File; problems that
    Epoca would not refuse at install are listed under ``problems``, and those that block the
    install (a file name other than ``<epoch id>.zip``) make ``installable`` false.
    """
    file = read_epoch_file(source, name=name, strict_name=False, limits=limits)
    blocking = [p for p in [name_problem(file)] if p]
    problems = (
        blocking
        + contract_problems(file)
        + id_problems(file.epoch_config, file.model_certificate, file.regression_certificates)
    )
    models: dict[str, dict] = {}
    manifest_report = None
    with open_zip(source, name, limits) as archive:
        for member in file.h5_members:
            try:
                with tempfile.NamedTemporaryFile(suffix=".h5") as copy:
                    copy_member(archive, member, copy, name, limits.member_bytes)
                    models[member[:-3]] = meta = h5_metadata(copy.name, member, limits)
                problems.extend(meta.pop("problems"))
            except EpochFileError as exc:
                models[member[:-3]] = {"error": str(exc)}
                problems.append(str(exc))
        if file.manifest is not None:
            report = VerifyReport()
            _verify_manifest(archive, file, report, required=False)
            manifest_report = {"ok": report.ok, "problems": report.problems}
            problems.extend(report.problems)
    for rid, meta in models.items():
        if meta.get("missing_attributes"):
            problems.append(f"{rid}.h5: missing root attribute(s) {', '.join(meta['missing_attributes'])}")
        elif "attrs" in meta and meta["attrs"].get("id") != rid:
            problems.append(f"{rid}.h5: root attribute id is {meta['attrs'].get('id')!r}")
    cut = lambda value: _echo(value, limits.echoed_chars)  # noqa: E731
    return {
        "name": cut(name),
        "epoch_id": cut(file.epoch_id),
        "expected_name": cut(file.expected_name),
        "installable": not blocking,
        "members": {cut(k): v for k, v in file.members.items()},
        "epoch_config": cut(file.epoch_config),
        "model_certificate": cut(file.model_certificate),
        "regression_certificates": cut(file.regression_certificates),
        "models": models,
        "manifest": cut(file.manifest),
        "manifest_check": manifest_report,
        "problems": [cut(p) for p in problems],
        "origin": "Epoch Builder (with manifest)"
        if file.manifest is not None
        else "no manifest (the original tool's layout)",
    }


def _echo(value: Any, limit: int) -> Any:
    """``value`` with every string (keys included) cut to ``limit`` characters."""
    if isinstance(value, str):
        return _truncated(value, limit)
    if isinstance(value, dict):
        return {_truncated(str(k), limit): _echo(v, limit) for k, v in value.items()}
    if isinstance(value, list):
        return [_echo(v, limit) for v in value]
    return value
