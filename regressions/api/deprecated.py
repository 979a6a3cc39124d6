"""``/api/regression-batches/``: the training batches' first name, kept working for existing
clients; the schema marks every operation deprecated in favour of ``/api/training-batches/``."""

from drf_spectacular.utils import extend_schema, extend_schema_view

from regressions.api.views import TrainingBatchViewSet

_DEPRECATED = extend_schema(
    deprecated=True, description="Deprecated alias of the same operation under `/api/training-batches/`."
)


@extend_schema_view(
    list=_DEPRECATED, retrieve=_DEPRECATED, train=_DEPRECATED, train_all=_DEPRECATED, generate=_DEPRECATED
)
class RegressionBatchAliasViewSet(TrainingBatchViewSet):
    pass
