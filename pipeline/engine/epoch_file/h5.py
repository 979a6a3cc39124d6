"""The ``.h5`` members, read with h5py only: attributes and ``model_config``, never loaded by Keras."""

from __future__ import annotations

import io
import os
from typing import Any

import h5py
import numpy as np

from core.files import human_size
from core.json_limits import JSONLimitError, loads_bounded

from .format import DEFAULT_LIMITS, H5_ATTRIBUTES, EpochFileError, EpochFileLimits

# The Keras 2 classes the templates use (regressions/engine/architectures.py) and their
# initializers; Dropout is in older templates of the original tool. Anything else (``Lambda``
# runs code, custom objects need code) is a problem: an uploaded model is never deserialised.
ALLOWED_MODEL_CLASSES = frozenset({"Sequential"})
ALLOWED_LAYER_CLASSES = frozenset(
    {"InputLayer", "Dense", "Conv1D", "MaxPooling1D", "Reshape", "Flatten", "LSTM", "GRU", "Dropout"}
)
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
            problems.append(
                f"{where}: registered_name {str(value['registered_name'])[:80]!r} (a custom object) is not allowed"
            )
        for key, item in value.items():
            if (
                key in ("activation", "recurrent_activation")
                and isinstance(item, str)
                and item not in ALLOWED_ACTIVATIONS
            ):
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
            problems.append(
                f"member {member}: {len(keys)} root attributes, more than {limits.h5_attributes}; the first are shown"
            )
        for key in keys[: limits.h5_attributes]:
            try:
                attribute = h5py.h5a.open(handle.id, key.encode())
                size = attribute.get_storage_size()
                if size > limits.model_config_bytes:
                    problems.append(
                        f"member {member}: root attribute {key[:80]!r} holds {human_size(size)} (not read; the limit is "
                        f"{human_size(limits.model_config_bytes)})"
                    )
                    unread.add(key)
                    continue
                if _variable_length(attribute.get_type()) and strings_room > limits.h5_string_bytes:
                    problems.append(
                        f"member {member}: root attribute {key[:80]!r} is a variable-length value in a file holding "
                        f"{human_size(strings_room)} besides its weights (not read; the limit is "
                        f"{human_size(limits.h5_string_bytes)})"
                    )
                    unread.add(key)
                    continue
                value = _attr(handle.attrs[key])
            except (OSError, ValueError, TypeError, KeyError) as exc:
                problems.append(f"member {member}: root attribute {key[:80]!r} cannot be read ({exc})")
                continue
            if key == "model_config":
                raw_config = value
                continue
            attrs[key[: limits.echoed_chars]] = _truncated(value, limits.echoed_chars)
    missing = [key for key in H5_ATTRIBUTES if key not in attrs and key not in unread]
    config = None
    if isinstance(raw_config, str):
        try:
            config = loads_bounded(
                raw_config.encode("utf-8", "replace"),
                max_bytes=limits.model_config_bytes,
                max_depth=limits.json_depth,
                what=f"member {member}: model_config",
            )
        except JSONLimitError as exc:
            problems.append(str(exc))
        except (ValueError, RecursionError):
            problems.append(f"member {member}: model_config is not valid JSON")
    if config is not None:
        problems.extend(model_config_problems(config, member))
    layers = [
        {
            "class_name": _truncated(layer.get("class_name"), 200),
            "name": _truncated((layer.get("config") or {}).get("name"), 200),
            "units": _truncated(
                (layer.get("config") or {}).get("units") or (layer.get("config") or {}).get("filters"), 200
            ),
        }
        for layer in (((config or {}).get("config") or {}).get("layers", []) if isinstance(config, dict) else [])[:100]
        if isinstance(layer, dict) and isinstance(layer.get("config") or {}, dict)
    ]
    attrs.pop("training_config", None)
    model_class = config.get("class_name") if isinstance(config, dict) else None
    return {
        "attrs": attrs,
        "missing_attributes": missing,
        "model_class": _truncated(model_class, 200),
        "layers": layers,
        "problems": problems,
    }


def _size_of(source: bytes | str | os.PathLike) -> int:
    return len(source) if isinstance(source, bytes) else os.path.getsize(source)


def _weights_bytes(handle: h5py.File, max_objects: int) -> int:
    """Bytes of the file's datasets (the weights); 0 past ``max_objects`` objects (then nothing is trusted)."""
    total, seen = 0, 0

    def visit(name: str, obj: object) -> bool | None:
        nonlocal total, seen
        seen += 1
        if seen > max_objects:
            return True  # stops the walk
        if isinstance(obj, h5py.Dataset):
            total += obj.id.get_storage_size()
        return None

    handle.visititems(visit)
    return 0 if seen > max_objects else total


def _variable_length(type_id: h5py.h5t.TypeID) -> bool:
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


def _check_h5(
    data: bytes, regression_id: str, member: str, lookback: int | None = None, predictions: int | None = None
) -> dict:
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
