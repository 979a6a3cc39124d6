"""Keras architecture templates of the regression grid, one set per family (`families.FAMILIES`).

Every model is a ``Sequential`` that takes a ``(batch, lookback)`` array (what the Epoca
prediction service feeds) and ends in a linear ``Dense(predictions)``. Conv/recurrent stacks
reshape the input to ``(lookback, 1)`` first. Layer names follow the original templates
(``Reshape_1``, ``Conv1D_1``, ``MaxPooling1D_1``, ``Dense_1``, ``LSTM_1``, ``Flatten_1``,
``Dense_Output``) because certificates list them.

TensorFlow is imported inside :func:`build_model` only, so config validation and grid
generation stay importable (and fast) without it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .families import FAMILIES

__all__ = [
    "KERAS_MODEL_PARAMS",
    "TEMPLATES",
    "ArchitectureConfigError",
    "TemplateSpec",
    "build_model",
    "template_spec",
    "validate_keras_model_config",
]

# Optional list params of a keras_model config, in the order certificates write them.
KERAS_MODEL_PARAMS = ("units", "activations", "filters", "kernel_sizes", "pool_sizes")

ACTIVATIONS = frozenset({"relu", "tanh", "sigmoid", "linear", "elu", "selu", "softplus", "swish"})


class ArchitectureConfigError(ValueError):
    """A keras_model config does not match its template."""


@dataclass(frozen=True)
class TemplateSpec:
    """Shape of one template: its family, stack depth and how many items each param needs."""

    name: str
    family: str  # a key of FAMILIES
    depth: int
    max_pooling: bool
    requirements: Mapping[str, int]


def _all_templates() -> dict[str, TemplateSpec]:
    specs: dict[str, TemplateSpec] = {}
    for family in FAMILIES.values():
        for max_pooling in (False, True) if family.max_pooling else (False,):
            for depth in family.depths:
                name = f"KR_{family.name}{'_MP' if max_pooling else ''}_S{depth}"
                specs[name] = TemplateSpec(
                    name, family.name, depth, max_pooling, family.requirements(depth, max_pooling)
                )
    return specs


TEMPLATES: dict[str, TemplateSpec] = _all_templates()


def template_spec(name: Any) -> TemplateSpec:
    """Return the spec of a template name, or raise naming the known ones."""
    try:
        return TEMPLATES[name]
    except (KeyError, TypeError):
        raise ArchitectureConfigError(
            f"keras_model.name: unknown template {name!r} (known: {', '.join(sorted(TEMPLATES))})"
        ) from None


def _positive_ints(values: list, field: str) -> None:
    for i, value in enumerate(values):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ArchitectureConfigError(f"keras_model.{field}[{i}]: {value!r} is not a positive integer")


def _sequence_length(spec: TemplateSpec, config: Mapping[str, Any], lookback: int) -> int:
    """Time steps left after the conv/pool layers (padding valid), to refuse impossible stacks."""
    length = lookback
    convs = FAMILIES[spec.family].convs(spec.depth)
    for i in range(convs):
        length = length - config["kernel_sizes"][i] + 1
        if spec.max_pooling and length >= 1:
            length //= config["pool_sizes"][i]
        if length < 1:
            break
    return length


def validate_keras_model_config(config: Mapping[str, Any], lookback: int | None = None) -> TemplateSpec:
    """Check a keras_model config strictly against its template and return the spec.

    Rules (as the original integrity check): params the template uses must be lists with at
    least the required number of items; params it does not use must be absent. An empty
    ``units`` list counts as absent, because certificates always carry a ``units`` list.
    With ``lookback`` the conv/pool stack must leave at least one time step.
    """
    if not isinstance(config, Mapping):
        raise ArchitectureConfigError(f"keras_model: expected an object, got {type(config).__name__}")
    spec = template_spec(config.get("name"))
    allowed = {"name", "lookback", "predictions", *KERAS_MODEL_PARAMS}
    unknown = sorted(set(config) - allowed)
    if unknown:
        raise ArchitectureConfigError(f"keras_model ({spec.name}): unknown params {unknown}")
    for field in KERAS_MODEL_PARAMS:
        value = config.get(field)
        required = spec.requirements.get(field, 0)
        if required == 0:
            if value not in (None, []):
                raise ArchitectureConfigError(
                    f"keras_model.{field} ({spec.name}): the template does not use {field}; got {value!r}"
                )
            continue
        if not isinstance(value, list) or len(value) < required:
            raise ArchitectureConfigError(
                f"keras_model.{field} ({spec.name}): needs a list of at least {required} items; got {value!r}"
            )
        if field == "activations":
            bad = [a for a in value if a not in ACTIVATIONS]
            if bad:
                raise ArchitectureConfigError(f"keras_model.activations ({spec.name}): unknown {bad}")
        else:
            _positive_ints(value, field)
    if lookback is not None and _sequence_length(spec, config, lookback) < 1:
        raise ArchitectureConfigError(
            f"keras_model ({spec.name}): the conv/pool stack leaves no time step for lookback {lookback}"
        )
    return spec


def build_model(keras_model_config: Mapping[str, Any], lookback: int, predictions: int) -> Any:
    """Validate ``keras_model_config`` and return the uncompiled ``tf.keras.Sequential``."""
    for field, value in (("lookback", lookback), ("predictions", predictions)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ArchitectureConfigError(f"{field}: {value!r} is not a positive integer")
    spec = validate_keras_model_config(keras_model_config, lookback)
    import tensorflow as tf  # why: TensorFlow is heavy; only the processes that build a model load it

    layers = tf.keras.layers
    family = FAMILIES[spec.family]
    stack: list = [tf.keras.Input(shape=(lookback,), name="Input_1")]
    if family.reshape:
        stack.append(layers.Reshape((lookback, 1), name="Reshape_1"))
    stack += family.body(layers, keras_model_config, spec.depth, spec.max_pooling)
    stack.append(layers.Dense(predictions, name="Dense_Output"))
    return tf.keras.Sequential(stack, name=spec.name)
