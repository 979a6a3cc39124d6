"""The Epoch File: the zip Epoca installs (EPOCA_CONTRACT.md §2, §6). Write, read, verify, inspect.

Layout, all at the zip root (no folders): ``epoch.json``, ``prediction_model_certificate.json``
(one object), ``regression_certificates.json`` (a list), one ``<regression id>.h5`` per
regression of the model, and ``manifest.json`` (the sha256 and size of every other member; the
consumer ignores it, the original tool's files have none).

A file is only ever read by member name and in memory: names with folders, ``..``, absolute
paths or backslashes are refused (no zip-slip), nothing is extracted, and an uploaded ``.h5``
is read with h5py only (its attributes and ``model_config``), never loaded by Keras. Our own
exports load their models with Keras in a child process (:mod:`pipeline.engine.epoch_file_models`).
"""
from __future__ import annotations

import hashlib
import io
import json
import math
import os
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Callable, Mapping, Sequence

import h5py
import numpy as np

from core.files import atomic_path

from epochs.engine.epoch_file_contract import (  # the member names and the contract checks, re-exported
    EPOCH_JSON,
    MODEL_CERTIFICATE,
    REGRESSION_CERTIFICATES,
    contract_problems,
    id_problems,
)
from core.json_limits import JSONLimitError, loads_bounded

from epochs.engine.epoch_params import validate_epoch_id
from epochs.engine.errors import EpochParameterError

MANIFEST = "manifest.json"
JSON_MEMBERS = (EPOCH_JSON, MODEL_CERTIFICATE, REGRESSION_CERTIFICATES)
H5_ATTRIBUTES = ("id", "description", "lookback", "predictions")
MANIFEST_FORMAT = "epoca-epoch-file"

# Epoca's upload limit (the GUI refuses larger files; its storage rule allows < 400 MiB).
MAX_EPOCH_FILE_BYTES = 390 * 1024 * 1024

# Features (EPOCA_CONTRACT §3.2): change = pct_change(last input, last prediction) rounded to
# 2 decimals; |change| < 0.01 gives 0; else sign * round((min(|change|, 1) - 0.01) / 0.99, 6).
MIN_FEATURE_VALUE, MAX_FEATURE_VALUE = 0.01, 1.0
FEATURE_STEP = 0.000001  # the 6-decimal rounding of a feature: the comparison tolerance
# A model run in another process may differ from the build's run in the last float bits. That
# moves a feature only when its raw percentage change lies this close (in percent) to a
# 2-decimal rounding boundary; such windows are reported, not failed.
ROUNDING_EDGE_PERCENT = 1e-6
RAW_OUTPUT_TOLERANCE = 1e-5  # absolute, on normalised values in (0, 1]


class EpochFileError(ValueError):
    """The zip is not a valid Epoch File; the message names the file, member and rule."""


# ---------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class EpochFileLimits:
    """What an uploaded Epoch File may hold, checked from the zip directory before a member is read."""

    members: int = 40
    member_bytes: int = 256 * 2**20  # uncompressed, each member
    total_bytes: int = 1024 * 2**20  # uncompressed, all members
    json_bytes: int = 32 * 2**20  # each JSON member (parsed in memory)
    json_depth: int = 64
    compression_ratio: int = 100  # uncompressed / compressed, for members over 1 MiB
    name_chars: int = 255
    h5_attributes: int = 64
    model_config_bytes: int = 2**20
    h5_string_bytes: int = 8 * 2**20  # room for variable-length strings (what the file holds besides its weights)
    h5_objects: int = 10_000
    echoed_chars: int = 10_000  # strings echoed back in an inspection


DEFAULT_LIMITS = EpochFileLimits()
COPY_CHUNK_BYTES = 2**20


@dataclass
class EpochFile:
    """The parsed JSON members and the member list of an Epoch File (the zip stays closed)."""

    name: str  # file name as given (Epoca takes the epoch id from it)
    epoch_config: dict
    model_certificate: dict
    regression_certificates: list
    h5_members: list[str]
    manifest: dict | None
    members: dict[str, int]  # name -> uncompressed size

    @property
    def epoch_id(self) -> str:
        """The id in ``epoch.json`` (the file name should be ``<id>.zip``)."""
        value = self.epoch_config.get("id")
        return value if isinstance(value, str) else Path(self.name).stem

    @property
    def expected_name(self) -> str:
        return f"{self.epoch_id}.zip"

    @property
    def model_regression_ids(self) -> list[str]:
        return [r.get("id") for r in self.model_certificate.get("model", {}).get("regressions", []) if isinstance(r, dict)]


def member_problem(name: str) -> str | None:
    """Why a member name is refused, or None. Epoca reads only the archive's top level."""
    if name.endswith("/"):
        return "folders are not allowed (every member must be at the zip root)"
    if "/" in name or "\\" in name:
        return "folders or path separators are not allowed (every member must be at the zip root)"
    if name in ("", ".", "..") or name.startswith("..") or "\x00" in name or ":" in name:
        return "not a plain file name"
    return None


def _mib(n: int) -> str:
    return f"{n / 2**20:.1f} MiB" if n >= 2**20 else f"{n:,} bytes"


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
            return f"member {name}: {_mib(info.file_size)} uncompressed, over the limit of {_mib(cap)}"
        if info.file_size > 2**20 and info.file_size > limits.compression_ratio * max(info.compress_size, 1):
            return (f"member {name}: compressed {info.file_size / max(info.compress_size, 1):.0f} to 1, over the limit "
                    f"of {limits.compression_ratio} to 1 (a zip bomb?)")
        total += info.file_size
        if total > limits.total_bytes:
            return f"the members hold more than {_mib(limits.total_bytes)} uncompressed (the limit)"
    return None


def open_zip(source: str | os.PathLike | IO[bytes], name: str, limits: EpochFileLimits = DEFAULT_LIMITS) -> zipfile.ZipFile:
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
                    raise EpochFileError(f"{name}: member {member}: more than {_mib(max_bytes)} uncompressed (the limit)")
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
        return loads_bounded(data, max_bytes=limits.json_bytes, max_depth=limits.json_depth, what=f"{name}: member {member}",
                             parse_constant=refuse)
    except JSONLimitError as exc:
        raise EpochFileError(str(exc)) from None
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise EpochFileError(f"{name}: member {member}: not valid JSON ({exc})") from None


def read_epoch_file(source: str | os.PathLike | IO[bytes], *, name: str | None = None, strict_name: bool = True,
                    limits: EpochFileLimits = DEFAULT_LIMITS) -> EpochFile:
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
        config, certificate, regressions = (_parse_json(read_member(archive, m, name), m, name, limits) for m in JSON_MEMBERS)
        manifest = _parse_json(read_member(archive, MANIFEST, name), MANIFEST, name, limits) if MANIFEST in members else None
    h5 = sorted(m for m in members if m.endswith(".h5"))
    file = EpochFile(name, config, certificate, regressions, h5, manifest, members)
    _check_install(file, strict_name)
    return file


def name_problem(file: EpochFile) -> str | None:
    """Epoca takes the epoch id from the file name: any other name blocks the install."""
    if file.name != file.expected_name:
        return (f"{file.name}: Epoca takes the epoch id from the file name, and this archive's {EPOCH_JSON} says "
                f"{file.epoch_id!r}: rename the file to {file.expected_name} before installing it")
    return None


def _check_install(file: EpochFile, strict_name: bool = True) -> None:
    """Epoca's ``canEpochBeInstalled`` plus the epoch-id check of the upload."""
    name = file.name
    for member, value, kind in ((EPOCH_JSON, file.epoch_config, dict), (MODEL_CERTIFICATE, file.model_certificate, dict),
                                (REGRESSION_CERTIFICATES, file.regression_certificates, list)):
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
        raise EpochFileError(f"{name}: member {EPOCH_JSON}: id {config_id!r} differs from the file name's {Path(name).stem!r} "
                             f"(expected {file.expected_name})")
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


# ---------------------------------------------------------------------------- writing

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
                "format": MANIFEST_FORMAT, "version": 1, "epoch_id": epoch_config["id"],
                "prediction_model_id": model_certificate["id"], "regression_ids": order, "created": int(created),
                "members": member_manifest(members),
            }
            archive.writestr(MANIFEST, _json_bytes(manifest))
        size = tmp.stat().st_size
        if size > max_bytes:
            raise EpochFileError(
                f"{path.name}: {size / 2**20:.1f} MiB exceeds Epoca's upload limit of {max_bytes / 2**20:.0f} MiB "
                "(choose a model with fewer or smaller regressions)"
            )
        if progress:
            progress(total, total, "written; verifying")
        if before_publish:
            before_publish(tmp)
    return {**manifest, "bytes": size}


def _json_bytes(value: Any) -> bytes:
    return json.dumps(value, allow_nan=False).encode("utf-8")


# ---------------------------------------------------------------------------- .h5 (h5py only)

# The Keras 2 classes the templates use (regressions/engine/architectures.py) and their
# initializers; Dropout is in older templates of the original tool. Anything else (``Lambda``
# runs code, custom objects need code) is a problem: an uploaded model is never deserialised.
ALLOWED_MODEL_CLASSES = frozenset({"Sequential"})
ALLOWED_LAYER_CLASSES = frozenset({"InputLayer", "Dense", "Conv1D", "MaxPooling1D", "Reshape", "Flatten", "LSTM", "GRU", "Dropout"})
ALLOWED_CONFIG_CLASSES = frozenset({"GlorotUniform", "Zeros", "Orthogonal", "Ones"})
ALLOWED_ACTIVATIONS = frozenset({"relu", "tanh", "linear", "sigmoid", "hard_sigmoid"})


def model_config_problems(config: Any, member: str) -> list[str]:
    """Every class of the ``.h5``'s Keras configuration outside the allow-list, by name and place."""
    problems: list[str] = []
    if not isinstance(config, dict) or config.get("class_name") not in ALLOWED_MODEL_CLASSES:
        kind = config.get("class_name") if isinstance(config, dict) else type(config).__name__
        return [f"member {member}: model class {str(kind)[:80]!r} is not allowed (expected Sequential)"]
    layers = (config.get("config") or {}).get("layers") if isinstance(config.get("config"), dict) else None
    if not isinstance(layers, list):
        return [f"member {member}: model_config has no layer list"]
    for i, layer in enumerate(layers):
        where = f"member {member}: layer {i}"
        if not isinstance(layer, dict) or layer.get("class_name") not in ALLOWED_LAYER_CLASSES:
            kind = layer.get("class_name") if isinstance(layer, dict) else type(layer).__name__
            note = " (a Lambda layer runs code when loaded)" if kind == "Lambda" else ""
            problems.append(f"{where}: layer class {str(kind)[:80]!r} is not allowed{note}")
            continue
        _nested_problems(layer.get("config"), where, problems)
    return problems


def _nested_problems(value: Any, where: str, problems: list[str]) -> None:
    if isinstance(value, dict):
        if "class_name" in value and value["class_name"] not in ALLOWED_CONFIG_CLASSES:
            problems.append(f"{where}: class {str(value['class_name'])[:80]!r} is not allowed (custom object?)")
        if value.get("registered_name") not in (None, value.get("class_name")):
            problems.append(f"{where}: registered_name {str(value['registered_name'])[:80]!r} (a custom object) is not allowed")
        for key, item in value.items():
            if key in ("activation", "recurrent_activation") and isinstance(item, str) and item not in ALLOWED_ACTIVATIONS:
                problems.append(f"{where}: {key} {item[:80]!r} is not allowed")
            elif key in ("activation", "recurrent_activation") and not isinstance(item, str) and item is not None:
                problems.append(f"{where}: {key} must be a plain name, not an object")
            else:
                _nested_problems(item, where, problems)
    elif isinstance(value, list):
        for item in value:
            _nested_problems(item, where, problems)


def h5_metadata(source: bytes | str | os.PathLike, member: str, limits: EpochFileLimits = DEFAULT_LIMITS) -> dict:
    """The root attributes and the layer list of an ``.h5`` (h5py only, never Keras).

    ``source`` is the file's bytes or a path (an uploaded member copied to a temporary file).
    Strings are cut to ``limits.echoed_chars``; an attribute over ``limits.model_config_bytes``
    is not read at all.
    """
    problems: list[str] = []
    try:
        handle = h5py.File(io.BytesIO(source) if isinstance(source, bytes) else source, "r")
    except (OSError, ValueError) as exc:
        raise EpochFileError(f"member {member}: not a readable HDF5 file ({exc})") from None
    attrs: dict[str, Any] = {}
    unread: set[str] = set()
    raw_config = None
    with handle:
        # A variable-length string's size is only known by reading it, but it must be stored
        # outside the weights: what the file holds besides them bounds every such string.
        strings_room = _size_of(source) - _weights_bytes(handle, limits.h5_objects)
        keys = list(handle.attrs.keys())
        if len(keys) > limits.h5_attributes:
            problems.append(f"member {member}: {len(keys)} root attributes, more than {limits.h5_attributes}; the first are shown")
        for key in keys[:limits.h5_attributes]:
            try:
                attribute = h5py.h5a.open(handle.id, key.encode())
                size = attribute.get_storage_size()
                if size > limits.model_config_bytes:
                    problems.append(f"member {member}: root attribute {key[:80]!r} holds {_mib(size)} (not read; the limit is "
                                    f"{_mib(limits.model_config_bytes)})")
                    unread.add(key)
                    continue
                if _variable_length(attribute.get_type()) and strings_room > limits.h5_string_bytes:
                    problems.append(f"member {member}: root attribute {key[:80]!r} is a variable-length value in a file holding "
                                    f"{_mib(strings_room)} besides its weights (not read; the limit is "
                                    f"{_mib(limits.h5_string_bytes)})")
                    unread.add(key)
                    continue
                value = _attr(handle.attrs[key])
            except (OSError, ValueError, TypeError, KeyError) as exc:
                problems.append(f"member {member}: root attribute {key[:80]!r} cannot be read ({exc})")
                continue
            if key == "model_config":
                raw_config = value
                continue
            attrs[key[:limits.echoed_chars]] = _truncated(value, limits.echoed_chars)
    missing = [key for key in H5_ATTRIBUTES if key not in attrs and key not in unread]
    config = None
    if isinstance(raw_config, str):
        try:
            config = loads_bounded(raw_config.encode("utf-8", "replace"), max_bytes=limits.model_config_bytes,
                                   max_depth=limits.json_depth, what=f"member {member}: model_config")
        except JSONLimitError as exc:
            problems.append(str(exc))
        except (ValueError, RecursionError):
            problems.append(f"member {member}: model_config is not valid JSON")
    if config is not None:
        problems.extend(model_config_problems(config, member))
    layers = [
        {"class_name": _truncated(layer.get("class_name"), 200), "name": _truncated((layer.get("config") or {}).get("name"), 200),
         "units": _truncated((layer.get("config") or {}).get("units") or (layer.get("config") or {}).get("filters"), 200)}
        for layer in (((config or {}).get("config") or {}).get("layers", []) if isinstance(config, dict) else [])[:100]
        if isinstance(layer, dict) and isinstance(layer.get("config") or {}, dict)
    ]
    attrs.pop("training_config", None)
    model_class = config.get("class_name") if isinstance(config, dict) else None
    return {"attrs": attrs, "missing_attributes": missing, "model_class": _truncated(model_class, 200), "layers": layers,
            "problems": problems}


def _size_of(source: bytes | str | os.PathLike) -> int:
    return len(source) if isinstance(source, bytes) else os.path.getsize(source)


def _weights_bytes(handle: h5py.File, max_objects: int) -> int:
    """Bytes of the file's datasets (the weights); 0 past ``max_objects`` objects (then nothing is trusted)."""
    total, seen = 0, 0

    def visit(name, obj):
        nonlocal total, seen
        seen += 1
        if seen > max_objects:
            return True  # stops the walk
        if isinstance(obj, h5py.Dataset):
            total += obj.id.get_storage_size()
        return None

    handle.visititems(visit)
    return 0 if seen > max_objects else total


def _variable_length(type_id) -> bool:
    kind = type_id.get_class()
    return kind == h5py.h5t.VLEN or (kind == h5py.h5t.STRING and type_id.is_variable_str())


def _truncated(value: Any, limit: int) -> Any:
    if isinstance(value, str) and len(value) > limit:
        return value[:limit] + f"... ({len(value) - limit:,} more characters)"
    if isinstance(value, list):
        return [_truncated(v, limit) for v in value[:100]]
    return value


def _attr(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, np.ndarray):
        return value.tolist() if value.size <= 100 else f"<array of {value.size} values>"
    return value.item() if hasattr(value, "item") else value


def _check_h5(data: bytes, regression_id: str, member: str, lookback: int | None = None, predictions: int | None = None) -> dict:
    meta = h5_metadata(data, member)
    if meta["problems"]:
        raise EpochFileError("; ".join(meta["problems"]))
    attrs = meta["attrs"]
    if meta["missing_attributes"]:
        raise EpochFileError(f"member {member}: missing root attribute(s) {', '.join(meta['missing_attributes'])}")
    if attrs["id"] != regression_id:
        raise EpochFileError(f"member {member}: root attribute id is {attrs['id']!r}, expected {regression_id!r}")
    for key, expected in (("lookback", lookback), ("predictions", predictions)):
        if expected is not None and attrs[key] != expected:
            raise EpochFileError(f"member {member}: root attribute {key} is {attrs[key]!r}, expected {expected}")
    if meta["model_class"] is None:
        raise EpochFileError(f"member {member}: no Keras model_config (not a legacy Keras-2 HDF5 model)")
    return meta


# ---------------------------------------------------------------------------- features

def feature(last_input: float, last_prediction: float) -> tuple[float, float]:
    """``(feature, raw percentage change)`` of one regression run, as Epoca's prediction API computes it."""
    change = 0.0
    if last_prediction > last_input:
        change = (last_prediction - last_input) / last_input * 100
    elif last_input > last_prediction:
        change = -((last_input - last_prediction) / last_input * 100)
    raw = change
    change = round(change if change >= -100 else -100, 2)
    magnitude = abs(change)
    if magnitude < MIN_FEATURE_VALUE:
        return 0.0, raw
    scaled = round((min(magnitude, MAX_FEATURE_VALUE) - MIN_FEATURE_VALUE) / (MAX_FEATURE_VALUE - MIN_FEATURE_VALUE), 6)
    return (scaled if change > 0 else -scaled), raw


def at_rounding_edge(raw_change: float) -> bool:
    scaled = abs(raw_change) * 100
    return abs(scaled - math.floor(scaled) - 0.5) * 0.01 < ROUNDING_EDGE_PERCENT


# ---------------------------------------------------------------------------- verification

Predictor = Callable[[Path, Mapping[str, list]], Mapping[str, list]]


@dataclass
class VerifyReport:
    ok: bool = True
    problems: list[str] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    features_compared: int = 0
    largest_feature_difference: float = 0.0
    raw_outputs_compared: int = 0
    largest_raw_difference: float = 0.0

    def fail(self, problem: str) -> None:
        self.ok = False
        self.problems.append(problem)

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def verify_epoch_file(
    path: str | os.PathLike,
    *,
    prediction_ot: np.ndarray,
    normalized: np.ndarray,
    predict: Predictor,
    name: str | None = None,
    windows: int = 3,
    reference_samples: Mapping[str, Sequence[Mapping]] | None = None,
    require_manifest: bool = True,
) -> VerifyReport:
    """Re-open an exported Epoch File as the consumer would and check everything it relies on.

    1. Epoca's install checks (:func:`read_epoch_file`), then every §1 key and type and the id rules.
    2. The manifest: every member listed with its sha256 and size, nothing more, nothing less.
    3. One ``.h5`` per model regression, with its four root attributes matching the certificate.
    4. The models, loaded by ``predict`` (Keras in a child process), on ``windows`` backtest
       positions spread over the test range: the features recomputed from their outputs equal
       the certificate's ``p.f`` within :data:`FEATURE_STEP`. ``reference_samples``
       (``{id: [{"x", "predicted"}]}``: the build's own raw outputs) are compared within
       :data:`RAW_OUTPUT_TOLERANCE`.

    ``prediction_ot`` and ``normalized`` are the epoch's prediction-candle open times and
    normalised closes (the model inputs).
    """
    path = Path(path)
    report = VerifyReport()
    try:
        file = read_epoch_file(path, name=name or path.name)
    except EpochFileError as exc:
        report.fail(str(exc))
        return report
    report.checks.append("install checks of Epoca (members, ids, one .h5 and one certificate per model regression)")
    for problem in contract_problems(file) + id_problems(file.epoch_config, file.model_certificate, file.regression_certificates):
        report.fail(problem)
    report.checks.append("EPOCA_CONTRACT §1 keys and types, id rules")
    order = file.model_regression_ids
    if sorted(file.h5_members) != sorted(f"{rid}.h5" for rid in order):
        report.fail(f"model files: expected exactly one .h5 per model regression, found {file.h5_members}")
    with open_zip(path, file.name) as archive:
        _verify_manifest(archive, file, report, require_manifest)
        configs = {rc.get("id"): rc for rc in file.model_certificate["model"]["regressions"]}
        for rid in order:
            try:
                _check_h5(read_member(archive, f"{rid}.h5", file.name), rid, f"{rid}.h5",
                          configs[rid].get("lookback"), configs[rid].get("predictions"))
            except EpochFileError as exc:
                report.fail(str(exc))
    report.checks.append("root attributes id, description, lookback, predictions of every .h5 (h5py)")
    if report.ok:
        _verify_predictions(path, file, report, prediction_ot, normalized, predict, windows, reference_samples or {})
    return report


def _verify_manifest(archive: zipfile.ZipFile, file: EpochFile, report: VerifyReport, required: bool) -> None:
    manifest = file.manifest
    if manifest is None:
        if required:
            report.fail(f"{file.name}: member {MANIFEST} is missing")
        return
    listed = manifest.get("members") if isinstance(manifest, dict) else None
    if not isinstance(listed, dict):
        report.fail(f"{file.name}: member {MANIFEST}: members must be an object")
        return
    present = set(file.members) - {MANIFEST}
    for missing in sorted(set(listed) - present):
        report.fail(f"{file.name}: member {missing} is listed in {MANIFEST} but missing from the zip")
    for extra in sorted(present - set(listed)):
        report.fail(f"{file.name}: member {extra} is not listed in {MANIFEST}")
    for member in sorted(present & set(listed)):
        digest = hashlib.sha256(read_member(archive, member, file.name)).hexdigest()
        if digest != (listed[member] or {}).get("sha256"):
            report.fail(f"{file.name}: member {member}: sha256 {digest} differs from {MANIFEST}'s (the file was altered)")
    report.checks.append(f"sha256 of every member against {MANIFEST}")


def position_window(prediction_ot: np.ndarray, normalized: np.ndarray, t: int, lookback: int) -> np.ndarray | None:
    """The ``lookback`` normalised closes before the prediction candle open at ``t`` (its feature window)."""
    index = int(np.searchsorted(prediction_ot, t, "right")) - 1
    if index < lookback:
        return None
    return np.asarray(normalized[index - lookback:index], dtype=np.float64)


def _verify_predictions(path, file, report, prediction_ot, normalized, predict, windows, samples) -> None:
    model = file.model_certificate["model"]
    order = [r["id"] for r in model["regressions"]]
    lookbacks = {r["id"]: int(r["lookback"]) for r in model["regressions"]}
    positions = file.model_certificate["backtest"]["positions"]
    picked = [positions[int(i)] for i in np.unique(np.linspace(0, len(positions) - 1, min(windows, len(positions))).astype(int))] if positions else []
    inputs: dict[str, list] = {rid: [] for rid in order}
    used = []
    for position in picked:
        row = [position_window(prediction_ot, normalized, position["p"]["t"], lookbacks[rid]) for rid in order]
        if any(x is None for x in row):
            report.fail(f"position at {position['p']['t']}: no input window in the epoch's candles")
            continue
        used.append(position)
        for rid, x in zip(order, row):
            inputs[rid].append(x.tolist())
    for rid in order:
        inputs[rid].extend(list(s["x"]) for s in samples.get(rid, []))
    if not used and not samples:
        report.notes.append("the backtest has no position: no feature to compare")
        return
    outputs = predict(path, inputs)
    for j, position in enumerate(used):
        for i, rid in enumerate(order):
            window = inputs[rid][j]
            value, raw = feature(window[-1], float(outputs[rid][j][-1]))
            expected = float(position["p"]["f"][i])
            difference = abs(value - expected)
            report.features_compared += 1
            if difference <= FEATURE_STEP + 1e-12:
                report.largest_feature_difference = max(report.largest_feature_difference, difference)
            elif at_rounding_edge(raw):
                report.notes.append(f"{rid} at {position['p']['t']}: raw change {raw!r}% sits on a 2-decimal rounding edge; feature {value} vs {expected}")
            else:
                report.fail(f"{rid}.h5: feature at {position['p']['t']} is {value}, the certificate says {expected} (beyond {FEATURE_STEP})")
    for rid in order:
        for k, sample in enumerate(samples.get(rid, [])):
            got = np.asarray(outputs[rid][len(used) + k], dtype=np.float64)
            want = np.asarray(sample["predicted"], dtype=np.float64)
            difference = float(np.max(np.abs(got - want))) if got.shape == want.shape else math.inf
            report.raw_outputs_compared += 1
            report.largest_raw_difference = max(report.largest_raw_difference, difference)
            if difference > RAW_OUTPUT_TOLERANCE:
                report.fail(f"{rid}.h5: raw outputs differ from the build's by {difference:.3g} (> {RAW_OUTPUT_TOLERANCE})")
    report.checks.append(
        f"models loaded by Keras in a child process: {report.features_compared} features on {len(used)} positions "
        f"(tolerance {FEATURE_STEP}), {report.raw_outputs_compared} raw output windows (tolerance {RAW_OUTPUT_TOLERANCE})"
    )


# ---------------------------------------------------------------------------- inspection

def inspect_epoch_file(source: IO[bytes] | str | os.PathLike, *, name: str,
                       limits: EpochFileLimits = DEFAULT_LIMITS) -> dict:
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
    problems = blocking + contract_problems(file) + id_problems(file.epoch_config, file.model_certificate, file.regression_certificates)
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
        "name": cut(name), "epoch_id": cut(file.epoch_id), "expected_name": cut(file.expected_name),
        "installable": not blocking, "members": {cut(k): v for k, v in file.members.items()},
        "epoch_config": cut(file.epoch_config), "model_certificate": cut(file.model_certificate),
        "regression_certificates": cut(file.regression_certificates), "models": models, "manifest": cut(file.manifest),
        "manifest_check": manifest_report, "problems": [cut(p) for p in problems],
        "origin": "Epoch Builder (with manifest)" if file.manifest is not None else "no manifest (the original tool's layout)",
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
