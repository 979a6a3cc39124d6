from django.http import FileResponse, Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from cluster.api.serializers import JobSerializer
from core.errors import ApplicationError
from core.parsers import EpochFileParser
from core.schema import ERRORS_409, ERRORS_413
from epochs import selectors
from epochs.api.serializers import (
    BundleImportSerializer,
    CandleImportSerializer,
    CandlestickSetSerializer,
    EpochCreateSerializer,
    EpochDeleteQuerySerializer,
    EpochExportSerializer,
    EpochFileUploadSerializer,
    EpochSerializer,
    ExportRequestSerializer,
    ExportWithdrawSerializer,
)
from epochs.engine.epoch_file import EpochFileError
from epochs.models import CandlestickSet, EpochExport
from epochs.services.candles import bundle_import_enqueue, candle_import_enqueue
from epochs.services.epochs import epoch_create, epoch_delete
from epochs.services.export import epoch_export_enqueue, export_download_path, export_withdraw, latest_export


class CandlestickSetViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = CandlestickSetSerializer
    filterset_fields = ["name", "symbol"]
    ordering_fields = ["name", "last_import", "candles"]

    def get_queryset(self):
        return selectors.candlestick_set_list()

    @extend_schema(request=CandleImportSerializer, responses={202: JobSerializer})
    @action(detail=False, methods=["post"], url_path="import")
    def import_candles(self, request):
        data = CandleImportSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        job = candle_import_enqueue(user=request.user, **{k: v for k, v in data.validated_data.items() if v})
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=BundleImportSerializer, responses={202: JobSerializer})
    @action(detail=False, methods=["post"], url_path="import-bundle")
    def import_bundle(self, request):
        data = BundleImportSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        job = bundle_import_enqueue(user=request.user, **data.validated_data)
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class EpochViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """Epochs. Creating one queues a job that builds its folder; the response is that job."""

    serializer_class = EpochSerializer
    filterset_fields = ["status", "preset", "prediction_interval"]
    ordering_fields = ["created", "id", "start", "end"]
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        return selectors.epoch_list()

    @extend_schema(request=EpochCreateSerializer, responses={202: JobSerializer})
    def create(self, request):
        data = EpochCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        name = values.pop("candlestick_set")
        candle_set = CandlestickSet.objects.filter(name=name).first()
        if candle_set is None:
            raise ApplicationError(f"No candlestick set named {name!r}: import candles first (Candles page or `manage.py import_candlesticks`).")
        _, job = epoch_create(candlestick_set=candle_set, user=request.user, **values)
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(parameters=[OpenApiParameter("with_dependants", bool, description=(
        "Also delete the objects that depend on the epoch (prediction-model searches and their models). Without it an "
        "epoch with dependants is refused (409) with them listed; an exported epoch is always refused."))],
        responses={204: None, **ERRORS_409})
    def destroy(self, request, *args, **kwargs):
        query = EpochDeleteQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        epoch_delete(epoch=self.get_object(), **query.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)

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
        return Response(EpochExportSerializer(export).data)

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
            return Response(selectors.epoch_file_inspection(upload, name=upload.name))
        except EpochFileError as exc:
            raise ApplicationError(str(exc)) from None


def _zip_response(export: EpochExport) -> FileResponse:
    path = export_download_path(export)
    return FileResponse(path.open("rb"), as_attachment=True, filename=export.file_name, content_type="application/zip")
