"""The API schema tells every status an operation can answer, with the error body's shape.

Every operation needs a login (401), may be refused (403), validates its input (400) and can
name a missing object (404: a path id, or a page past the last); operations with a body can be
too large (413) or of a media type the operation does not read (415), and deletions can be blocked by what depends on the object (409). The hook adds
these to each operation that did not document them itself.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse

ERROR_SCHEMA = {
    "type": "object",
    "description": "An error: `detail` (a sentence), `message` and `extra` (a refusal of the domain), or field "
    "names with their messages (invalid input).",
    "additionalProperties": True,
}
ERRORS_409 = {
    409: OpenApiResponse(OpenApiTypes.OBJECT, description="Refused: other objects depend on this one (listed).")
}
ERRORS_413 = {413: OpenApiResponse(OpenApiTypes.OBJECT, description="The upload or body is over its size limit.")}

_GENERIC = {
    "400": "Invalid input: the body names each field and rule.",
    "401": "Not logged in (no or an expired token or session).",
    "403": "Not allowed for this user.",
    "404": "No such object, or a page past the last.",
}


def add_error_responses(result, generator, request, public):
    """drf-spectacular postprocessing hook: the error statuses of every operation."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components.setdefault("Error", ERROR_SCHEMA)
    ref = {"$ref": "#/components/schemas/Error"}
    for _path, item in result.get("paths", {}).items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            codes = dict(_GENERIC)
            if "requestBody" in operation:
                codes["413"] = "The body or upload is over its size limit."
                codes["415"] = "The body's media type is not one this operation reads."
            if method == "delete":
                codes["409"] = "Refused: other objects depend on this one (listed in the body)."
            for code, description in codes.items():
                responses.setdefault(
                    code, {"content": {"application/json": {"schema": ref}}, "description": description}
                )
    return result
