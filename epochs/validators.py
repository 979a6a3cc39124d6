from django.core.exceptions import ValidationError

from epochs.engine.epoch_params import validate_epoch_id as engine_validate_epoch_id
from epochs.engine.errors import EpochParameterError


def validate_epoch_id(value: str) -> None:
    try:
        engine_validate_epoch_id(value)
    except EpochParameterError as exc:
        raise ValidationError(f"Epoch id {value!r} {exc.errors['id']}.", code="epoch_id") from None
