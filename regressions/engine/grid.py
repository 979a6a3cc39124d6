"""Regression training grid: profile files in, shuffled config batches and a receipt out.

A *profile* is a JSON document (see ``profiles/original.json``, ``profiles/smoke.json``)::

    {"name": "...", "description": "...",
     "categories": {"<a family of families.FAMILIES>": {
         "batch_size": 20,
         "learning_rates": [-1, 0.001],          # -1 = InverseTimeDecay schedule
         "optimizers": ["adam"],
         "loss_pairs": [{"loss": "mean_absolute_error", "metric": "mean_squared_error"}],
         "activations": ["relu"],                # [] for templates without activations
         "architectures": [{"templates": ["KR_CNN_S2", "KR_CNN_MP_S2"],
                            "variations": [{"filters": [32, 32], "kernel_sizes": [5, 3],
                                            "pool_sizes": [2, 2]}]}]}},
     "unit_test": {"template": "KR_DNN_S2", "units": [32, 32], "activation": "relu",
                   "learning_rate": 0.001, "optimizer": "adam",
                   "loss": "mean_absolute_error", "metric": "mean_squared_error"}}

Configs = templates x variations x learning rates x optimizers x loss pairs x activations.
A variation param a template does not use (``pool_sizes`` for ``KR_CNN_S2``) is left out of
that template's configs. Each category is shuffled with ``random.Random(seed)`` and cut into
batches named ``KR_<CATEGORY>_<n>_<total>``.
"""

from __future__ import annotations

import itertools
import json
import math
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .architectures import (
    KERAS_MODEL_PARAMS,
    TEMPLATES,
    ArchitectureConfigError,
    validate_keras_model_config,
)
from .families import FAMILIES
from .ids import regression_id, unit_test_id

__all__ = [
    "CATEGORIES",
    "LOSS_NAMES",
    "OPTIMIZERS",
    "UNIT_TEST_BATCH",
    "Batch",
    "GridProfileError",
    "GridResult",
    "available_profiles",
    "builtin_profiles_dir",
    "generate_grid",
    "load_profile",
    "validate_profile",
]

CATEGORIES = tuple(FAMILIES)  # a profile names families; the unit test batch is added to every grid
LOSS_NAMES = ("mean_absolute_error", "mean_squared_error")
OPTIMIZERS = ("adam", "rmsprop")
UNIT_TEST_BATCH = "KR_UNIT_TEST"
_VARIATION_PARAMS = ("units", "filters", "kernel_sizes", "pool_sizes")


class GridProfileError(ValueError):
    """A grid profile is malformed; the message names the file/field and the rule."""


@dataclass(frozen=True)
class Batch:
    """One batch file: ``{"name": ..., "configs": [...]}``."""

    name: str
    category: str
    configs: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"name": self.name, "configs": self.configs}


@dataclass(frozen=True)
class GridResult:
    batches: list[Batch]
    unit_test: Batch
    receipt: str

    @property
    def configs(self) -> list[dict]:
        """Every grid config (unit test excluded), batch by batch."""
        return [config for batch in self.batches for config in batch.configs]


# ---------------------------------------------------------------- profiles


def builtin_profiles_dir() -> Path:
    return Path(__file__).resolve().parent / "profiles"


def available_profiles(search_dirs: Iterable[str | Path] = ()) -> dict[str, Path]:
    """Profile name -> file; files in ``search_dirs`` override the built-in ones."""
    found: dict[str, Path] = {}
    for directory in [builtin_profiles_dir(), *map(Path, search_dirs)]:
        if directory.is_dir():
            found.update({path.stem: path for path in sorted(directory.glob("*.json"))})
    return found


def load_profile(source: str | Path, *, search_dirs: Iterable[str | Path] = ()) -> dict:
    """Load and validate a profile given by file path or by name (``original``, ``smoke``…)."""
    path = Path(source)
    if not path.is_file():
        profiles = available_profiles(search_dirs)
        if str(source) not in profiles:
            raise GridProfileError(f"grid profile {source!r} not found (known: {', '.join(sorted(profiles))})")
        path = profiles[str(source)]
    try:
        profile = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise GridProfileError(f"{path}: cannot read the profile: {exc}") from exc
    validate_profile(profile, source=str(path))
    return profile


def _fail(source: str, where: str, rule: str) -> GridProfileError:
    return GridProfileError(f"{source}: {where}: {rule}")


def _check_list(value: Any, source: str, where: str, *, allow_empty: bool = False) -> list:
    if not isinstance(value, list) or (not value and not allow_empty):
        raise _fail(source, where, "expected a non-empty list" if not allow_empty else "expected a list")
    if len({json.dumps(v, sort_keys=True) for v in value}) != len(value):
        raise _fail(source, where, "duplicate entries")
    return value


def _check_learning_rate(value: Any, source: str, where: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (value == -1 or 0 < value < 1):
        raise _fail(source, where, f"{value!r} must be -1 (InverseTimeDecay) or a rate in (0, 1)")


def _check_choice(value: Any, choices: Sequence[str], source: str, where: str) -> None:
    if value not in choices:
        raise _fail(source, where, f"{value!r} is not one of {list(choices)}")


def validate_profile(profile: Any, *, source: str = "profile") -> None:
    """Check the structure of a profile; raise :class:`GridProfileError` naming the field."""
    if not isinstance(profile, dict):
        raise _fail(source, "(root)", "expected a JSON object")
    if not isinstance(profile.get("name"), str) or not profile["name"]:
        raise _fail(source, "name", "expected a non-empty string")
    categories = profile.get("categories")
    if not isinstance(categories, dict) or not categories:
        raise _fail(source, "categories", "expected a non-empty object")
    for category, spec in categories.items():
        where = f"categories.{category}"
        _check_choice(category, CATEGORIES, source, where)
        if not isinstance(spec, dict):
            raise _fail(source, where, "expected an object")
        batch_size = spec.get("batch_size")
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise _fail(source, f"{where}.batch_size", f"{batch_size!r} is not a positive integer")
        for i, lr in enumerate(_check_list(spec.get("learning_rates"), source, f"{where}.learning_rates")):
            _check_learning_rate(lr, source, f"{where}.learning_rates[{i}]")
        for i, opt in enumerate(_check_list(spec.get("optimizers"), source, f"{where}.optimizers")):
            _check_choice(opt, OPTIMIZERS, source, f"{where}.optimizers[{i}]")
        for i, pair in enumerate(_check_list(spec.get("loss_pairs"), source, f"{where}.loss_pairs")):
            if not isinstance(pair, dict) or set(pair) != {"loss", "metric"}:
                raise _fail(source, f"{where}.loss_pairs[{i}]", 'expected {"loss": ..., "metric": ...}')
            _check_choice(pair["loss"], LOSS_NAMES, source, f"{where}.loss_pairs[{i}].loss")
            _check_choice(pair["metric"], LOSS_NAMES, source, f"{where}.loss_pairs[{i}].metric")
        activations = _check_list(spec.get("activations"), source, f"{where}.activations", allow_empty=True)
        for i, group in enumerate(_check_list(spec.get("architectures"), source, f"{where}.architectures")):
            _validate_group(group, category, activations, source, f"{where}.architectures[{i}]")
    _validate_unit_test(profile.get("unit_test"), source)


def _validate_group(group: Any, category: str, activations: list, source: str, where: str) -> None:
    if not isinstance(group, dict) or set(group) != {"templates", "variations"}:
        raise _fail(source, where, 'expected {"templates": [...], "variations": [...]}')
    templates = _check_list(group["templates"], source, f"{where}.templates")
    for i, name in enumerate(templates):
        spec = TEMPLATES.get(name)
        if spec is None or spec.family != category:
            raise _fail(source, f"{where}.templates[{i}]", f"{name!r} is not a {category} template")
        if bool(spec.requirements.get("activations")) != bool(activations):
            raise _fail(
                source, f"{where}.templates[{i}]", f"{name} {'needs' if activations == [] else 'takes no'} activations"
            )
    used = {param for name in templates for param in TEMPLATES[name].requirements}
    for i, variation in enumerate(_check_list(group["variations"], source, f"{where}.variations")):
        if not isinstance(variation, dict):
            raise _fail(source, f"{where}.variations[{i}]", "expected an object")
        unknown = sorted(set(variation) - (used & set(_VARIATION_PARAMS)))
        if unknown:
            raise _fail(source, f"{where}.variations[{i}]", f"params {unknown} are used by none of {templates}")
        for name in templates:
            try:
                validate_keras_model_config(_keras_model(name, variation, activations[0] if activations else None))
            except ArchitectureConfigError as exc:
                raise _fail(source, f"{where}.variations[{i}]", str(exc)) from None


def _validate_unit_test(unit_test: Any, source: str) -> None:
    expected = {"template", "units", "activation", "learning_rate", "optimizer", "loss", "metric"}
    if not isinstance(unit_test, dict) or set(unit_test) != expected:
        raise _fail(source, "unit_test", f"expected exactly the keys {sorted(expected)}")
    if unit_test["template"] != "KR_DNN_S2":
        raise _fail(source, "unit_test.template", "the unit-test regression is a KR_DNN_S2")
    _check_learning_rate(unit_test["learning_rate"], source, "unit_test.learning_rate")
    _check_choice(unit_test["optimizer"], OPTIMIZERS, source, "unit_test.optimizer")
    _check_choice(unit_test["loss"], LOSS_NAMES, source, "unit_test.loss")
    _check_choice(unit_test["metric"], LOSS_NAMES, source, "unit_test.metric")
    try:
        validate_keras_model_config(_keras_model("KR_DNN_S2", {"units": unit_test["units"]}, unit_test["activation"]))
    except ArchitectureConfigError as exc:
        raise _fail(source, "unit_test", str(exc)) from None


# ---------------------------------------------------------------- generation


def _keras_model(template: str, variation: Mapping[str, Any], activation: str | None) -> dict:
    """The ``keras_model`` object of one config, with only the params the template uses."""
    requirements = TEMPLATES[template].requirements
    model: dict[str, Any] = {"name": template}
    for param in KERAS_MODEL_PARAMS:
        if param not in requirements:
            continue
        if param == "activations":
            model[param] = [activation] * requirements[param]
        elif param in variation:
            model[param] = list(variation[param])
    return model


def _format_date(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("created_at must be timezone-aware")
    return moment.astimezone(UTC).strftime("%d/%m/%Y, %H:%M:%S UTC")


def _config(
    *,
    epoch_id: str,
    fingerprint: str,
    description: str,
    lookback: int,
    predictions: int,
    learning_rate: float,
    optimizer: str,
    loss: str,
    metric: str,
    keras_model: dict,
    unit_test: bool = False,
) -> dict:
    config = {
        "id": "",
        "description": description,
        "lookback": lookback,
        "predictions": predictions,
        "learning_rate": learning_rate,
        "optimizer": optimizer,
        "loss": loss,
        "metric": metric,
        "keras_model": keras_model,
    }
    make_id = unit_test_id if unit_test else regression_id
    config["id"] = make_id(config, epoch_id=epoch_id, fingerprint=fingerprint)
    return config


def _category_configs(category: str, spec: Mapping[str, Any], **common: Any) -> list[dict]:
    configs = []
    activations = spec["activations"] or [None]
    for group in spec["architectures"]:
        for template, variation, lr, optimizer, pair, activation in itertools.product(
            group["templates"],
            group["variations"],
            spec["learning_rates"],
            spec["optimizers"],
            spec["loss_pairs"],
            activations,
        ):
            configs.append(
                _config(
                    learning_rate=lr,
                    optimizer=optimizer,
                    loss=pair["loss"],
                    metric=pair["metric"],
                    keras_model=_keras_model(template, variation, activation),
                    **common,
                )
            )
    return configs


def _receipt(epoch_id: str, created: str, batches: Sequence[Batch], categories: Sequence[str]) -> str:
    lines = [
        f"{epoch_id}: Regression Training Configs",
        "",
        f"Creation: {created}",
        f"Total Models: {sum(len(b.configs) for b in batches)}",
    ]
    for category in categories:
        own = [b for b in batches if b.category == category]
        lines += ["", "", category, f"Models: {sum(len(b.configs) for b in own)}", f"Batches: {len(own)}", ""]
        lines += [f"{category}_{n}: " for n in range(1, len(own) + 1)]
    return "\n".join(lines) + "\n"


def generate_grid(
    profile: Mapping[str, Any],
    *,
    epoch_id: str,
    fingerprint: str,
    seed: int,
    lookback: int,
    predictions: int,
    created_at: datetime,
) -> GridResult:
    """Expand ``profile`` into shuffled batches, the unit-test batch and the receipt text.

    Deterministic: the same arguments (``created_at`` aside, which only shows in descriptions
    and the receipt) give the same batches, order and ids.
    """
    validate_profile(profile, source=f"profile {profile.get('name')!r}" if isinstance(profile, dict) else "profile")
    created = _format_date(created_at)
    common: dict[str, Any] = {
        "epoch_id": epoch_id,
        "fingerprint": fingerprint,
        "description": f"Generated by the {epoch_id} RegressionTrainingConfig Module on {created}.",
        "lookback": lookback,
        "predictions": predictions,
    }
    batches: list[Batch] = []
    seen: set[str] = set()
    for category, spec in profile["categories"].items():
        configs = _category_configs(category, spec, **common)
        for config in configs:
            try:
                validate_keras_model_config(config["keras_model"], lookback)
            except ArchitectureConfigError as exc:
                raise GridProfileError(f"profile {profile['name']!r}: categories.{category}: {exc}") from None
            if config["id"] in seen:
                raise GridProfileError(
                    f"profile {profile['name']!r}: categories.{category}: duplicate config {config['keras_model']}"
                )
            seen.add(config["id"])
        random.Random(seed).shuffle(configs)
        size = spec["batch_size"]
        total = math.ceil(len(configs) / size)
        batches += [
            Batch(f"KR_{category}_{n + 1}_{total}", category, configs[n * size : (n + 1) * size]) for n in range(total)
        ]

    ut = profile["unit_test"]
    unit_config = _config(
        learning_rate=ut["learning_rate"],
        optimizer=ut["optimizer"],
        loss=ut["loss"],
        metric=ut["metric"],
        unit_test=True,
        keras_model=_keras_model(ut["template"], {"units": ut["units"]}, ut["activation"]),
        **common,
    )
    unit_test = Batch(UNIT_TEST_BATCH, "UNIT_TEST", [unit_config])
    receipt = _receipt(epoch_id, created, batches, list(profile["categories"]))
    return GridResult(batches=batches, unit_test=unit_test, receipt=receipt)
