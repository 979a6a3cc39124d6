import django_filters

from cluster.choices import JobStatus
from cluster.jobs.subjects import epoch_jobs
from cluster.models import Job, Server
from core.filters import StrictBooleanFilter, StrictFilterSet


class JobFilterSet(StrictFilterSet):
    status = django_filters.MultipleChoiceFilter(choices=JobStatus.choices)
    kind = django_filters.CharFilter()
    parent = django_filters.NumberFilter(field_name="parent_id")
    top_level = StrictBooleanFilter(field_name="parent", lookup_expr="isnull")
    target_id = django_filters.CharFilter()
    target_type = django_filters.CharFilter(field_name="target_type__model")
    epoch = django_filters.CharFilter(
        method="filter_epoch",
        max_length=100,  # an epoch id's
        help_text="Jobs of this epoch: its own, and those of its batches, regressions, searches.",
    )

    class Meta:
        model = Job
        fields = ["status", "kind", "server", "parent", "target_id", "target_type", "top_level", "epoch"]

    def filter_epoch(self, queryset, name, value):
        return queryset.filter(epoch_jobs(value)) if value else queryset


class ServerFilterSet(StrictFilterSet):
    class Meta:
        model = Server
        fields = ["is_cluster_worker", "name", "host"]
