"""Request parsers with bounds: body size, JSON nesting depth, upload size (settings)."""

from __future__ import annotations

from django.conf import settings
from django.http import QueryDict
from rest_framework import parsers
from rest_framework.exceptions import APIException, ParseError
from rest_framework.utils import json as drf_json

from core.files import human_size
from core.json_limits import JSONLimitError, check_json_bounds
from core.uploads import limit_uploads, upload_refusal


class PayloadTooLarge(APIException):
    status_code = 413
    default_detail = "The request body is too large."
    default_code = "payload_too_large"


def read_body(stream, parser_context) -> bytes:
    """The whole body, refused with 413 past ``API_MAX_BODY_BYTES`` (never read further)."""
    limit = settings.API_MAX_BODY_BYTES
    request = (parser_context or {}).get("request")
    declared = request.META.get("CONTENT_LENGTH") if request is not None else None
    try:
        declared = int(declared or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        raise PayloadTooLarge(f"The request body is {human_size(declared)}, over the limit of {human_size(limit)}.")
    data = stream.read(limit + 1) if stream is not None else b""
    if len(data) > limit:
        raise PayloadTooLarge(f"The request body is over the limit of {human_size(limit)}.")
    return data


class BoundedJSONParser(parsers.JSONParser):
    """DRF's JSON parser, after the body's size and nesting depth are checked."""

    def parse(self, stream, media_type=None, parser_context=None):
        data = read_body(stream, parser_context)
        try:
            check_json_bounds(
                data, max_bytes=settings.API_MAX_BODY_BYTES, max_depth=settings.API_MAX_JSON_DEPTH, what="JSON body"
            )
        except JSONLimitError as exc:
            raise ParseError(str(exc)) from None
        encoding = parsers.get_encoding(parser_context or {})
        try:
            text = data.decode(encoding)
            return drf_json.loads(text, parse_constant=drf_json.strict_constant if self.strict else None)
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None


class BoundedFormParser(parsers.FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        encoding = parsers.get_encoding(parser_context or {})
        return QueryDict(read_body(stream, parser_context), encoding=encoding)


class BoundedMultiPartParser(parsers.MultiPartParser):
    """Multipart with the files of one request limited to ``max_bytes_setting`` (413 past it)."""

    max_bytes_setting = "UPLOAD_MAX_BYTES"
    what = "the uploaded files"

    def parse(self, stream, media_type=None, parser_context=None):
        request = parser_context["request"]
        http_request = getattr(request, "_request", request)
        limit_uploads(http_request, getattr(settings, self.max_bytes_setting), self.what)
        result = super().parse(stream, media_type, parser_context)
        refused = upload_refusal(http_request)
        if refused:
            raise PayloadTooLarge(refused)
        return result


class EpochFileParser(BoundedMultiPartParser):
    """An Epoch File upload: Epoca's own limit (``EPOCH_FILE_MAX_BYTES``)."""

    max_bytes_setting = "EPOCH_FILE_MAX_BYTES"
    what = "the Epoch File"
