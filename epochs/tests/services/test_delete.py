"""Deleting an epoch that others depend on: a 409 listing them, unless the request asks for all."""

import pytest
from rest_framework.test import APIClient

from epochs.models import CandlestickSet, Epoch, EpochExport
from prediction_models.models import PredictionModelSearch
from regressions.models import RegressionSelection

pytestmark = pytest.mark.django_db


@pytest.fixture
def api_client(django_user_model):
    """An administrator's client (deleting epochs is an administrator's action)."""
    client = APIClient()
    client.force_authenticate(django_user_model.objects.create_superuser("deleter", password="pw-for-tests"))
    return client


@pytest.fixture
def searched_epoch():
    epoch = Epoch.objects.create(id="_DELETE", candlestick_set=CandlestickSet.objects.create(name="del-set"))
    selection = RegressionSelection.objects.create(epoch=epoch, name="top")
    search = PredictionModelSearch.objects.create(epoch=epoch, selection=selection)
    return epoch, search


def test_an_epoch_with_a_search_is_a_409_listing_it(searched_epoch, api_client):
    epoch, search = searched_epoch
    response = api_client.delete(f"/api/epochs/{epoch.pk}/")
    assert response.status_code == 409, response.content
    body = response.json()
    assert "with_dependants=true" in body["message"]
    assert body["extra"]["protected_by"] == [f"prediction model search {search.pk} ({search})"]
    assert Epoch.objects.filter(pk=epoch.pk).exists() and PredictionModelSearch.objects.filter(pk=search.pk).exists()


def test_with_dependants_deletes_the_epoch_and_what_depends_on_it(searched_epoch, api_client):
    epoch, search = searched_epoch
    assert api_client.delete(f"/api/epochs/{epoch.pk}/?with_dependants=true").status_code == 204
    assert not Epoch.objects.filter(pk=epoch.pk).exists()
    assert not PredictionModelSearch.objects.filter(pk=search.pk).exists()
    assert not RegressionSelection.objects.filter(epoch_id=epoch.pk).exists()


def test_an_exported_epoch_stays_protected(searched_epoch, api_client):
    epoch, _ = searched_epoch
    EpochExport.objects.create(
        epoch=epoch, prediction_model_id="_DELETE_" + "0" * 32, file_path="_DELETE.zip", sha256="0" * 64, size=1
    )
    Epoch.objects.filter(pk=epoch.pk).update(status="exported")
    for path in (f"/api/epochs/{epoch.pk}/", f"/api/epochs/{epoch.pk}/?with_dependants=true"):
        response = api_client.delete(path)
        assert response.status_code == 409 and "exported" in response.json()["message"], response.content
    assert Epoch.objects.filter(pk=epoch.pk).exists()


def test_with_dependants_must_be_a_boolean(searched_epoch, api_client):
    epoch, _ = searched_epoch
    response = api_client.delete(f"/api/epochs/{epoch.pk}/?with_dependants=yes")
    assert response.status_code == 400 and "with_dependants" in response.json()
