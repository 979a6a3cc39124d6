"""The central epoch store's API for scale-out workers (worker and administrator accounts only).

GET  /api/epoch-store/<epoch>/inputs/                      training inputs: {files: {path: {sha256, size}}}
GET  /api/epoch-store/<epoch>/file/?path=<relative path>   one input or regression file (X-Checksum-SHA256)
GET  /api/epoch-store/<epoch>/regressions/<id>/            what the store holds of a regression
POST /api/epoch-store/<epoch>/regressions/<id>/            upload: one part per file + "sha256" (JSON name -> hex)
POST /api/epoch-store/<epoch>/batched-certificates/<batch>/  write the batch's certificate here
"""

from __future__ import annotations

from django.conf import settings
from django.http import FileResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from core.errors import ApplicationError
from core.json_limits import loads_bounded
from core.parsers import BoundedMultiPartParser
from epochs.models import Epoch
from epochs.services.paths import epoch_dir
from regressions.models import RegressionConfig, TrainingBatch
from regressions.services import store as artifacts
from regressions.services.training import batch_certificate_write

REGRESSION_ID = r"(?P<regression_id>[^/]+)"
BATCH_NAME = r"(?P<batch_name>[^/]+)"
EPOCH = OpenApiParameter("epoch_id", str, OpenApiParameter.PATH, description="Epoch id, e.g. _EROS3.")


class EpochStoreViewSet(viewsets.ViewSet):
    """Files of the epochs stored on this (central) machine, for workers elsewhere."""

    lookup_field = "epoch_id"
    lookup_value_regex = r"[^/.]+"

    def _folder(self, epoch_id: str):
        if artifacts.remote_store_enabled():
            # A worker answering would send its callers' files on to yet another store.
            raise ApplicationError("This instance is a worker (CENTRAL_URL is set); ask the central web app.")
        epoch = get_object_or_404(Epoch, pk=epoch_id)
        return epoch_dir(epoch.pk)

    @extend_schema(parameters=[EPOCH], responses={200: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["get"])
    def inputs(self, request, epoch_id=None):
        return Response({"files": artifacts.epoch_inputs_manifest(self._folder(epoch_id))})

    @extend_schema(
        parameters=[EPOCH, OpenApiParameter("path", str, required=True)], responses={200: OpenApiTypes.BINARY}
    )
    @action(detail=True, methods=["get"])
    def file(self, request, epoch_id=None):
        folder = self._folder(epoch_id)
        rel = request.query_params.get("path", "")
        try:
            path = artifacts.servable_path(folder, rel)
        except FileNotFoundError:
            raise NotFound(f"epoch {epoch_id} has no file {rel!r}") from None
        response = FileResponse(open(path, "rb"), as_attachment=True, filename=path.name)  # noqa: SIM115 (it closes the file)
        response["X-Checksum-SHA256"] = artifacts.epoch_file_digest(path)["sha256"]
        return response

    @extend_schema(methods=["GET"], parameters=[EPOCH], responses={200: OpenApiTypes.OBJECT})
    @extend_schema(
        methods=["POST"],
        parameters=[EPOCH],
        request={"multipart/form-data": OpenApiTypes.OBJECT},
        responses={200: OpenApiTypes.OBJECT, 201: OpenApiTypes.OBJECT, 409: OpenApiTypes.OBJECT},
    )
    @action(
        detail=True,
        methods=["get", "post"],
        url_path=f"regressions/{REGRESSION_ID}",
        parser_classes=[BoundedMultiPartParser],
    )
    def regression(self, request, epoch_id=None, regression_id=None):
        folder = self._folder(epoch_id)
        if not RegressionConfig.objects.filter(pk=regression_id, epoch_id=epoch_id).exists():
            raise NotFound(f"epoch {epoch_id} has no regression {regression_id!r}")
        if request.method == "GET":
            return Response(artifacts.stored_regression(folder, regression_id))
        try:
            checksums = loads_bounded(
                str(request.data.get("sha256", "")).encode(),
                max_bytes=settings.API_MAX_BODY_BYTES,
                max_depth=2,
                what="sha256",
            )
        except (ValueError, UnicodeEncodeError):
            raise ValidationError({"sha256": "a JSON object mapping each file name to its sha256"}) from None
        if not isinstance(checksums, dict):
            raise ValidationError({"sha256": "a JSON object mapping each file name to its sha256"})
        try:
            generation = int(request.data.get("generation") or 0)
        except ValueError:
            raise ValidationError({"generation": "an integer >= 0: the regression's training generation"}) from None
        try:
            created, stored = artifacts.regression_store(folder, regression_id, request.FILES, checksums, generation)
        except artifacts.ArtifactConflictError as exc:
            return Response({"message": exc.message, "stored": exc.extra}, status=status.HTTP_409_CONFLICT)
        return Response(stored, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(parameters=[EPOCH], request=None, responses={200: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["post"], url_path=f"batched-certificates/{BATCH_NAME}")
    def batched_certificate(self, request, epoch_id=None, batch_name=None):
        folder = self._folder(epoch_id)
        batch = get_object_or_404(TrainingBatch, epoch_id=epoch_id, name=batch_name)
        relative = batch_certificate_write(batch=batch)
        return Response({"path": relative, **artifacts.epoch_file_digest(folder / relative)})
