from django.db.models import Count
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from cluster import selectors
from cluster.api.serializers import JobBriefSerializer, JobSerializer, SelfCheckInputSerializer, ServerSerializer
from cluster.filters import JobFilterSet, ServerFilterSet
from cluster.services.jobs import job_cancel, job_enqueue, job_retry


class JobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Every long action. Lists are brief (use ``?full=1`` for logs and results)."""

    filterset_class = JobFilterSet
    ordering_fields = ["created", "started", "finished", "status", "kind"]

    def get_queryset(self):
        return selectors.job_list().annotate(children_count=Count("children"))

    def get_serializer_class(self):
        if self.action == "list" and not self.request.query_params.get("full"):
            return JobBriefSerializer
        return JobSerializer

    @extend_schema(request=None, responses=JobSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return Response(JobSerializer(job_cancel(job=self.get_object(), user=request.user)).data)

    @extend_schema(request=None, responses=JobSerializer)
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        return Response(JobSerializer(job_retry(job=self.get_object(), user=request.user)).data)

    @extend_schema(request=SelfCheckInputSerializer, responses={202: JobSerializer})
    @action(detail=False, methods=["post"])
    def selfcheck(self, request):
        data = SelfCheckInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        job = job_enqueue(kind="cluster.selfcheck", params=data.validated_data, user=request.user)
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class ServerViewSet(viewsets.ModelViewSet):
    serializer_class = ServerSerializer
    filterset_class = ServerFilterSet

    def get_queryset(self):
        return selectors.server_list()
