from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from cluster.api.serializers import JobSerializer
from core.errors import ApplicationError
from core.schema import ERRORS_409
from epochs import selectors
from epochs.api.serializers import (
    BundleImportSerializer,
    CandleImportSerializer,
    CandlestickSetSerializer,
    EpochCreateSerializer,
    EpochDeleteQuerySerializer,
    EpochSerializer,
)
from epochs.models import CandlestickSet
from epochs.services.candles import bundle_import_enqueue, candle_import_enqueue
from epochs.services.epochs import epoch_create, epoch_delete


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
            raise ApplicationError(
                f"No candlestick set named {name!r}: import candles first (Candles page or `manage.py import_candlesticks`)."
            )
        _, job = epoch_create(candlestick_set=candle_set, user=request.user, **values)
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "with_dependants",
                bool,
                description=(
                    "Also delete the objects that depend on the epoch (prediction-model searches and their models). Without it an "
                    "epoch with dependants is refused (409) with them listed; an exported epoch is always refused."
                ),
            )
        ],
        responses={204: None, **ERRORS_409},
    )
    def destroy(self, request, *args, **kwargs):
        query = EpochDeleteQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        epoch_delete(epoch=self.get_object(), **query.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)
