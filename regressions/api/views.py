from django.shortcuts import get_object_or_404
from drf_spectacular.plumbing import build_array_type, build_basic_type
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from cluster.api.serializers import JobSerializer
from cluster.models import Server
from epochs.models import Epoch
from regressions import selectors
from regressions.api.serializers import (
    GenerateConfigsSerializer,
    RegressionConfigSerializer,
    RegressionSelectionCreateSerializer,
    RegressionSelectionSerializer,
    RegressionSerializer,
    TrainingBatchSerializer,
    TrainingHistorySerializer,
    TrainSerializer,
)
from regressions.filters import (
    RegressionConfigFilterSet,
    RegressionFilterSet,
    RegressionSelectionFilterSet,
    TrainingBatchFilterSet,
)
from regressions.models import RegressionConfig
from regressions.services import files as certificate_files
from regressions.services.grid import configs_generate_enqueue
from regressions.services.pages import regression_page_evaluation, training_history
from regressions.services.selection import selection_create
from regressions.services.training import batch_train_enqueue, epoch_train_all_enqueue, regression_train_enqueue

# Bulk certificates: a JSON array of certificate objects, as their files hold them.
CERTIFICATE_LIST = OpenApiResponse(
    response=build_array_type(build_basic_type(OpenApiTypes.OBJECT)),
    description="certificates as their files hold them",
)


def _bulk_query(request) -> dict:
    params = request.query_params
    ids = [i for i in params.get("ids", "").split(",") if i]
    selection = params.get("selection")
    if selection is not None and not selection.isdigit():
        raise ValidationError({"selection": "must be a selection id (an integer)."})
    names = selectors.regression_group_names()
    groups = {name: params[name] for name in names if params.get(name)}
    if not (ids or params.get("epoch") or selection or groups):
        raise ValidationError({"detail": f"Give epoch, selection, {', '.join(names)} or ids."})
    return {
        "epoch_id": params.get("epoch"),
        "selection_id": int(selection) if selection else None,
        "ids": ids,
        "groups": groups,
    }


def _server(data):
    return get_object_or_404(Server, pk=data["server"]) if data.get("server") else None


class TrainingBatchViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = TrainingBatchSerializer
    filterset_class = TrainingBatchFilterSet
    ordering_fields = ["name", "category", "number", "created"]

    def get_queryset(self):
        return selectors.batch_list().order_by("epoch", "category", "number")

    @extend_schema(request=TrainSerializer, responses={202: JobSerializer})
    @action(detail=True, methods=["post"])
    def train(self, request, pk=None):
        data = TrainSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        job = batch_train_enqueue(batch=self.get_object(), user=request.user, server=_server(data.validated_data))
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=TrainSerializer, responses={202: JobSerializer(many=True)})
    @action(detail=False, methods=["post"], url_path=r"train-all/(?P<epoch_id>[^/]+)")
    def train_all(self, request, epoch_id=None):
        data = TrainSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        epoch = get_object_or_404(Epoch, pk=epoch_id)
        jobs = epoch_train_all_enqueue(epoch=epoch, user=request.user, server=_server(data.validated_data))
        return Response(JobSerializer(jobs, many=True).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=GenerateConfigsSerializer, responses={202: JobSerializer})
    @action(detail=False, methods=["post"], url_path=r"generate/(?P<epoch_id>[^/]+)")
    def generate(self, request, epoch_id=None):
        data = GenerateConfigsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        epoch = get_object_or_404(Epoch, pk=epoch_id)
        job = configs_generate_enqueue(epoch=epoch, profile=data.validated_data.get("profile"), user=request.user)
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class RegressionConfigViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = RegressionConfigSerializer
    filterset_class = RegressionConfigFilterSet
    ordering_fields = ["id", "category", "template", "learning_rate"]
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        return RegressionConfig.objects.select_related("batch").order_by("batch", "position")


class RegressionViewSet(viewsets.ReadOnlyModelViewSet):
    """Regressions with their summary metrics; the full certificate is at ``certificate/``."""

    serializer_class = RegressionSerializer
    filterset_class = RegressionFilterSet
    ordering_fields = [
        "ebe_points",
        "accuracy",
        "points",
        "test_loss",
        "test_mae",
        "test_mse",
        "increase_accuracy",
        "decrease_accuracy",
        "training_seconds",
        "trained_at",
        "config_id",
    ]
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        return selectors.regression_list().order_by("config_id")

    @extend_schema(responses={200: dict})
    @action(detail=True, methods=["get"])
    def certificate(self, request, pk=None):
        return Response(certificate_files.regression_certificate(self.get_object()))

    @extend_schema(responses={200: dict})
    @action(detail=True, methods=["get"])
    def ebe(self, request, pk=None):
        """The Epoch Builder Evaluation of the certificate: points, state and every scored item (EPOCA_CONTRACT.md §5.1)."""
        return Response(regression_page_evaluation(self.get_object()))

    @extend_schema(responses={200: TrainingHistorySerializer})
    @action(detail=True, methods=["get"])
    def history(self, request, pk=None):
        """Loss, val_loss and metrics per epoch: the certificate's once trained, the finished epochs' while
        a local training runs (``live``: poll again while it is true)."""
        return Response(TrainingHistorySerializer(training_history(self.get_object())).data)

    @extend_schema(
        responses={200: CERTIFICATE_LIST},
        parameters=[
            OpenApiParameter("epoch", str),
            OpenApiParameter("selection", int),
            OpenApiParameter("prediction_model", str, description="a prediction model's id: its regressions"),
            OpenApiParameter("ids", str, description="comma-separated"),
        ],
    )
    @action(detail=False, methods=["get"])
    def certificates(self, request):
        """Every trained regression certificate of an epoch, a selection, a prediction model or a list of ids,
        in one JSON array (a selection's, a model's or the ids' order)."""
        return Response(certificate_files.bulk_certificates(**_bulk_query(request)))

    @extend_schema(request=TrainSerializer, responses={202: JobSerializer})
    @action(detail=True, methods=["post"])
    def retrain(self, request, pk=None):
        data = TrainSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        job = regression_train_enqueue(
            regression=self.get_object(), user=request.user, server=_server(data.validated_data), retrain=True
        )
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class RegressionSelectionViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = RegressionSelectionSerializer
    filterset_class = RegressionSelectionFilterSet
    ordering_fields = ["created", "name"]

    def get_queryset(self):
        return selectors.selection_list()

    @extend_schema(request=RegressionSelectionCreateSerializer, responses={201: RegressionSelectionSerializer})
    def create(self, request, *args, **kwargs):
        data = RegressionSelectionCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        epoch = get_object_or_404(Epoch, pk=values.pop("epoch"))
        selection = selection_create(epoch=epoch, user=request.user, **values)
        return Response(RegressionSelectionSerializer(selection).data, status=status.HTTP_201_CREATED)
