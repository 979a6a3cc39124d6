"""Bulk regression certificates of a prediction model: ``/api/regressions/certificates/?prediction_model=``."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from prediction_models.models import ProfitableConfig
from regressions.models import Regression
from testing.prediction_model_fakes import fake_model, fake_search, position
from testing.regression_fakes import fake_grid_epoch

pytestmark = pytest.mark.django_db


def _model_with(epoch, search, index, regression_ids):
    model = fake_model(epoch, search, index, [position(1, 0, 10, True, 1003.0)])
    ProfitableConfig.objects.filter(pk=model.profitable_config_id).update(regression_ids=regression_ids)
    return model


def test_a_models_regression_certificates_in_its_order_with_a_fixed_number_of_queries(api_client):
    epoch = fake_grid_epoch("_PMCERTS", profile="smoke", untrained=1)
    search = fake_search(epoch)
    trained = list(
        Regression.objects.filter(epoch=epoch, status="trained")
        .order_by("-config_id")
        .values_list("config_id", flat=True)
    )
    untrained = Regression.objects.filter(epoch=epoch).exclude(status="trained").values_list("config_id", flat=True)
    assert len(trained) >= 4 and untrained
    counts = []
    for index, ids in enumerate((trained[:1], trained[:4])):
        model = _model_with(epoch, search, index, ids)
        with CaptureQueriesContext(connection) as queries:
            response = api_client.get(f"/api/regressions/certificates/?prediction_model={model.pk}")
        assert response.status_code == 200, response.content
        assert [c["id"] for c in response.json()] == ids  # the model's order, not the ids'
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
    # An untrained regression of the model has no certificate to give.
    partly = _model_with(epoch, search, 2, [trained[0], untrained[0]])
    assert [c["id"] for c in api_client.get(f"/api/regressions/certificates/?prediction_model={partly.pk}").json()] == [
        trained[0]
    ]
    assert api_client.get("/api/regressions/certificates/?prediction_model=_PMCERTS_nope").status_code == 404
