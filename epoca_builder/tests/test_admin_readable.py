"""The admin reads like the pages: floats rounded, list settings as comma-separated fields."""

import re

import pytest

from epochs.choices import EpochStatus
from epochs.models import CandlestickSet, Epoch
from prediction_models.models import PredictionModelSearch
from regressions.models import Regression
from testing.regression_fakes import fake_grid_epoch

pytestmark = pytest.mark.django_db

RAW = "1720.8300000000017"


@pytest.fixture
def epoch():
    return Epoch.objects.create(
        id="_ADMIN",
        candlestick_set=CandlestickSet.objects.create(name="admin"),
        status=EpochStatus.READY,
        highest_price_sma=float(RAW),
        lowest_price_sma=0.000123456789,
        start=1609459200000,
    )


def test_the_epoch_change_page_rounds_its_floats(admin_client, epoch):
    html = admin_client.get(f"/admin/epochs/epoch/{epoch.pk}/change/").content.decode()
    assert RAW not in html and "0.000123456789" not in html
    assert re.search(r"Highest price sma:?</label>\s*<div class=\"readonly\">1720.83</div>", html)
    assert '<div class="readonly">0.0001235</div>' in html
    assert '<div class="readonly">1609459200000 (2021-01-01T00:00:00Z)</div>' in html  # the contract's ms, readable
    created = epoch.created.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert f'<div class="readonly">{created}</div>' in html  # what Django formats itself: ISO 8601 too
    assert "2021-01-01T00:00:00Z" in admin_client.get("/admin/epochs/epoch/").content.decode()


def test_the_regression_change_list_rounds_its_floats_and_still_sorts_by_them(admin_client):
    epoch = fake_grid_epoch("_ADMINGRID", profile="tiny", untrained=0)
    Regression.objects.filter(epoch=epoch).update(accuracy=57.142857142857146, test_loss=0.0021345678)
    html = admin_client.get("/admin/regressions/regression/?o=4").content.decode()
    assert "57.142857" not in html and "0.0021345678" not in html
    assert '<td class="field-accuracy_rounded">57.14</td>' in html
    assert '<td class="field-test_loss_rounded">0.002135</td>' in html
    assert 'href="?o=-4"' in html or 'href="?o=-4.' in html  # the accuracy column is sortable


def test_every_admin_with_float_fields_rounds_them():
    from django.contrib import admin
    from django.db import models

    from core.admin_numbers import RoundedFloatsAdmin

    with_floats = [
        model_admin
        for model, model_admin in admin.site._registry.items()
        if any(isinstance(f, models.FloatField) for f in model._meta.fields)
    ]
    assert PredictionModelSearch in {a.model for a in with_floats}
    assert [type(a).__name__ for a in with_floats if not isinstance(a, RoundedFloatsAdmin)] == []


def _form_data(response) -> dict:
    form = response.context["adminform"].form
    data = {}
    for bound in form:
        value = bound.field.prepare_value(bound.value())
        if value is True:
            data[bound.html_name] = "on"
        elif value is not None and value is not False:
            data[bound.html_name] = value
    return data


def test_list_settings_are_comma_separated_fields_saved_as_lists(admin_client, epoch):
    url = f"/admin/epochs/epoch/{epoch.pk}/change/"
    response = admin_client.get(url)
    html = response.content.decode()
    assert 'name="min_sum_adjustment_factors" value="1, 1.5, 2"' in html
    assert "<textarea" not in html.split('name="price_change_requirements"')[0].rsplit("<", 1)[-1]
    data = {**_form_data(response), "min_sum_adjustment_factors": "1, 2.5", "min_sum_functions": "median"}
    assert admin_client.post(url, data).status_code == 302
    epoch.refresh_from_db()
    assert epoch.min_sum_adjustment_factors == [1.0, 2.5] and epoch.min_sum_functions == ["median"]


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        (
            "price_change_requirements",
            "3, x",
            "Price change requirements: item 1: must be a number (got &#x27;x&#x27;).",
        ),
        ("min_sum_functions", "mean, mode", "Min sum functions: item 1: must be one of"),
        ("regressions_per_model", "", "Regressions per model: give at least one value."),
        ("min_sum_adjustment_factors", "1, 500", "Min sum adjustment factors: item 1: must be between 0 and 100"),
    ],
)
def test_a_bad_list_setting_is_refused_naming_the_field(admin_client, epoch, name, value, message):
    url = f"/admin/epochs/epoch/{epoch.pk}/change/"
    data = {**_form_data(admin_client.get(url)), name: value}
    response = admin_client.post(url, data)
    assert response.status_code == 200 and message in response.content.decode()
    epoch.refresh_from_db()
    assert getattr(epoch, name) == Epoch._meta.get_field(name).get_default()
