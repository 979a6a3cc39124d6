from dataclasses import replace

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
    """A list parameter's declared shape: a list of at most ``max_length`` items of its kind.

    Its items' choices and ranges are the API's and the form's to refuse: the service keeps
    accepting smaller sizes (tests and small pipelines build models of 1 or 2 regressions).
    """

    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self, value) -> None:
        _, problem = check_param(replace(PARAM[self.name], choices=(), low=None, high=None), value)
        if problem:
            raise ValidationError(f"{self.name} {problem}.", code="epoch_param")

    def __eq__(self, other) -> bool:
        return isinstance(other, ParamValidator) and other.name == self.name

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.name))
