from django.shortcuts import get_object_or_404
from drf_spectacular.plumbing import build_array_type, build_basic_type
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from cluster.api.serializers import JobSerializer
from prediction_models import selectors
from prediction_models.api.serializers import (
    BuildSerializer,
    ExportAssetsSerializer,
    ForwardTestCreateSerializer,
    ForwardTestSerializer,
    PredictionModelSerializer,
    ProfitableConfigSerializer,
    SearchCreateSerializer,
    SearchSerializer,
)
from prediction_models.engine.metrics import SORTABLE_COLUMNS
from prediction_models.filters import PredictionModelFilterSet, ProfitableConfigFilterSet, SearchFilterSet
from prediction_models.services import files as certificate_files
from prediction_models.services import pages
from prediction_models.services.build import models_build_enqueue
from prediction_models.services.forward_tests import forward_test_create, range_of_dates
from prediction_models.services.search import assets_export_json, search_find_enqueue, search_initialize
from regressions.models import RegressionSelection

# Bulk certificates: a JSON array of certificate objects, as their files hold them.
CERTIFICATE_LIST = OpenApiResponse(
    response=build_array_type(build_basic_type(OpenApiTypes.OBJECT)),
    description="certificates as their files hold them",
)


class PredictionModelSearchViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Searches of the config space. Create one (``initialize_prediction_models``) from a selection."""

    serializer_class = SearchSerializer
    filterset_class = SearchFilterSet
    ordering_fields = ["created", "profitable_found", "total_configs"]

    def get_queryset(self):
        return selectors.search_list().order_by("-created")

    @extend_schema(request=SearchCreateSerializer, responses={202: JobSerializer})
    def create(self, request, *args, **kwargs):
        data = SearchCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        selection = get_object_or_404(RegressionSelection, pk=values.pop("selection"))
        _, job = search_initialize(selection=selection, user=request.user, **values)
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses={202: JobSerializer})
    @action(detail=True, methods=["post"])
    def find(self, request, pk=None):
        job = search_find_enqueue(search=self.get_object(), user=request.user)
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=BuildSerializer, responses={202: JobSerializer})
    @action(detail=True, methods=["post"])
    def build(self, request, pk=None):
        data = BuildSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        job = models_build_enqueue(search=self.get_object(), limit=data.validated_data["limit"], user=request.user)
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses={200: ExportAssetsSerializer})
    @action(detail=True, methods=["post"], url_path="export-assets")
    def export_assets(self, request, pk=None):
        return Response({"files": assets_export_json(search=self.get_object())})


class ProfitableConfigViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = ProfitableConfigSerializer
    filterset_class = ProfitableConfigFilterSet
    ordering_fields = ["profit", "accuracy", "largest_drawdown", "positions", "config_index"]

    def get_queryset(self):
        return selectors.profitable_config_list().order_by("-profit", "-accuracy", "config_index")


class PredictionModelViewSet(viewsets.ReadOnlyModelViewSet):
    """Built models with the metrics people sort by; the full certificate is at ``certificate/``."""

    serializer_class = PredictionModelSerializer
    filterset_class = PredictionModelFilterSet
    ordering_fields = [*SORTABLE_COLUMNS, "rank", "created"]
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        return selectors.with_done_forward_tests(selectors.model_list()).order_by("search", "rank")

    @extend_schema(responses={200: dict})
    @action(detail=True, methods=["get"])
    def certificate(self, request, pk=None):
        return Response(certificate_files.model_certificate(self.get_object()))

    @extend_schema(request=ForwardTestCreateSerializer, responses={202: JobSerializer})
    @action(detail=True, methods=["post"], url_path="forward-test")
    def forward_test(self, request, pk=None):
        """Trade the model on imported candles after its epoch, with the inputs Epoca computes live."""
        data = ForwardTestCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        start, end = range_of_dates(data.validated_data["start"], data.validated_data["end"])
        _, job = forward_test_create(model=self.get_object(), start=start, end=end, user=request.user)
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses={200: ForwardTestSerializer(many=True)})
    @action(detail=True, methods=["get"], url_path="forward-tests", pagination_class=None)
    def forward_tests(self, request, pk=None):
        tests = selectors.forward_tests_of(self.get_object(), done_only=False)
        return Response(ForwardTestSerializer(tests, many=True).data)

    @extend_schema(responses={200: dict})
    @action(detail=True, methods=["get"])
    def ebe(self, request, pk=None):
        """The Epoch Builder Evaluation of the certificate: points, state and every scored item (EPOCA_CONTRACT.md §5.1)."""
        return Response(pages.model_evaluation(self.get_object()))

    @extend_schema(responses={200: CERTIFICATE_LIST})
    @action(detail=False, methods=["get"])
    def certificates(self, request):
        """Every certificate of a search or an epoch, or of the ids given (comma-separated), in one JSON array."""
        params = request.query_params
        ids = [i for i in params.get("ids", "").split(",") if i]

        if not (ids or params.get("epoch") or params.get("search")):
            raise ValidationError({"detail": "Give epoch, search or ids."})
        if params.get("search") and not params["search"].isdigit():
            raise ValidationError({"search": "must be a search id (an integer)."})
        return Response(
            certificate_files.bulk_certificates(epoch_id=params.get("epoch"), search_id=params.get("search"), ids=ids)
        )
