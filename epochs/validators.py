from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible

from epochs.engine.epoch_params import PARAM, check_param
from epochs.engine.epoch_params import validate_epoch_id as engine_validate_epoch_id
from epochs.engine.errors import EpochParameterError


def validate_epoch_id(value: str) -> None:
    try:
        engine_validate_epoch_id(value)
    except EpochParameterError as exc:
        raise ValidationError(f"Epoch id {value!r} {exc.errors['id']}.", code="epoch_id") from None


@deconstructible
class ParamValidator:
    """An epoch parameter's declared type, range and choices (for the values a range validator cannot check)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self, value) -> None:
        _, problem = check_param(PARAM[self.name], value)
        if problem:
            raise ValidationError(f"{self.name} {problem}.", code="epoch_param")

    def __eq__(self, other) -> bool:
        return isinstance(other, ParamValidator) and other.name == self.name
