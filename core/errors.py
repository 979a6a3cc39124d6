"""Domain errors and the one place that turns them into API responses."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler

from core.files import human_size
from core.parsers import PayloadTooLarge


class ApplicationError(Exception):
    """A refusal of the domain (wrong state, missing input): shown to the user as is."""

    status_code = 400

    def __init__(self, message: str, extra: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        self.extra = extra or {}


class ConflictError(ApplicationError):
    """Refused because of other objects (what depends on this one): ``extra`` lists them."""

    status_code = 409


class FrozenEpochError(ApplicationError):
    """The epoch is exported: what Epoca installed must not change until the export is withdrawn (409)."""

    status_code = 409


def api_exception_handler(exc, context):
    if isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge(
            f"The request body is over the limit of {human_size(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)}."
        )
    elif isinstance(exc, (TooManyFieldsSent, TooManyFilesSent)):
        exc = exceptions.ValidationError({"detail": str(exc)})
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, ApplicationError):
        return Response({"message": exc.message, "extra": exc.extra}, status=getattr(exc, "status_code", 400))
    return exception_handler(exc, context)
