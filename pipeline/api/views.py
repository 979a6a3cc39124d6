"""The API of what needs every stage: an epoch's export actions, the Epoch Files written, inspection."""

from django.http import FileResponse, Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from cluster.api.serializers import JobSerializer
from core.errors import ApplicationError
from core.parsers import EpochFileParser
from core.schema import ERRORS_413
from epochs import selectors
from epochs.api import views as epochs_views
from epochs.api.serializers import (
    EpochExportSerializer,
    EpochFileUploadSerializer,
    ExportRequestSerializer,
    ExportWithdrawSerializer,
)
from epochs.models import EpochExport
from pipeline.engine.epoch_file import EpochFileError
from pipeline.services import inspection
from pipeline.services.export import epoch_export_enqueue, export_download_file, export_withdraw, latest_export


class EpochViewSet(epochs_views.EpochViewSet):
    """Epochs. Creating one queues a job that builds its folder; the response is that job."""

    @extend_schema(request=ExportRequestSerializer, responses={202: JobSerializer})
    @action(detail=True, methods=["post"])
    def export(self, request, pk=None):
        """Queue the export of the Epoch File for one built prediction model (refusals come at once)."""
        data = ExportRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        job = epoch_export_enqueue(epoch=self.get_object(), user=request.user, **data.validated_data)
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=ExportWithdrawSerializer, responses={200: EpochExportSerializer})
    @action(detail=True, methods=["post"], url_path="withdraw-export")
    def withdraw_export(self, request, pk=None):
        """Administrators: withdraw the export (reason recorded, zip kept) so that the epoch may change again."""
        data = ExportWithdrawSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        export = export_withdraw(epoch=self.get_object(), user=request.user, reason=data.validated_data["reason"])
        return Response(EpochExportSerializer(export, context={"request": request}).data)

    @extend_schema(responses={(200, "application/zip"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        """The epoch's latest Epoch File, ``<EPOCH_ID>.zip``."""
        export = latest_export(self.get_object())
        if export is None:
            raise Http404(f"Epoch {pk} has not been exported.")
        return _zip_response(export)


class EpochExportViewSet(viewsets.ReadOnlyModelViewSet):
    """Epoch Files written, with the ids each made public and its verification report."""

    serializer_class = EpochExportSerializer
    filterset_fields = ["epoch", "prediction_model_id", "verified"]
    ordering_fields = ["created"]

    def get_queryset(self):
        return selectors.epoch_export_list()

    @extend_schema(responses={(200, "application/zip"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        return _zip_response(self.get_object())


class EpochFileViewSet(viewsets.ViewSet):
    """Inspect any Epoch File by upload: read in memory, never extracted, no model loaded."""

    parser_classes = [EpochFileParser]

    @extend_schema(request=EpochFileUploadSerializer, responses={200: OpenApiTypes.OBJECT, **ERRORS_413})
    @action(detail=False, methods=["post"])
    def inspect(self, request):
        data = EpochFileUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        try:
            return Response(inspection.epoch_file_inspection(upload, name=upload.name))
        except EpochFileError as exc:
            raise ApplicationError(str(exc)) from None


def _zip_response(export: EpochExport) -> FileResponse:
    return FileResponse(
        export_download_file(export), as_attachment=True, filename=export.file_name, content_type="application/zip"
    )
