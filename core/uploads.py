"""Uploads with a size limit: the bytes over it are read and dropped, never stored.

``BoundedUploadHandler`` comes first in ``FILE_UPLOAD_HANDLERS``. It counts the bytes of every
file of a request and stops the upload once the request's limit is passed: Django then reads
the rest of the body without keeping it, so the client gets a clean answer (413) instead of a
reset connection, and neither memory nor disk grows. A view with its own limit (the Epoch File
inspector) sets it on the request before the body is parsed (:func:`limit_uploads`).
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import QueryDict
from django.http.multipartparser import exhaust
from django.utils.datastructures import MultiValueDict

from core.files import human_size

REFUSED = "upload_refused"  # request attribute: why the upload was stopped


def limit_uploads(request, max_bytes: int, what: str = "the upload") -> None:
    """Set the limit for this request's files (before ``request.FILES`` is read)."""
    request.max_upload_bytes = max_bytes
    request.upload_what = what


def upload_refusal(request) -> str | None:
    """Why the request's files were refused, or None."""
    return getattr(request, REFUSED, None)


class BoundedUploadHandler(FileUploadHandler):
    """Passes chunks on to the next handler until the request's files exceed the limit."""

    def __init__(self, request=None):
        super().__init__(request)
        self.received = 0

    def _limit(self) -> int:
        return getattr(self.request, "max_upload_bytes", None) or settings.UPLOAD_MAX_BYTES

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        limit = self._limit()
        # The body alone tells: refuse before a byte is stored (the body is still read and dropped).
        if content_length and content_length > limit + 1024 * 1024:
            self._note(content_length)
            exhaust(input_data)
            return QueryDict(encoding=encoding), MultiValueDict()
        return None

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self._limit():
            self._refuse(self.received)
        return raw_data

    def file_complete(self, file_size):
        return None

    def _note(self, size: int) -> None:
        what = getattr(self.request, "upload_what", "the upload")
        setattr(
            self.request, REFUSED, f"{what}: {human_size(size)} or more, over the limit of {human_size(self._limit())}"
        )

    def _refuse(self, size: int):
        self._note(size)
        raise StopUpload(connection_reset=False)
