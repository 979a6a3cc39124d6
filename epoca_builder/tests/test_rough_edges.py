"""Small things a new user noticed: plural names, sizes, the configured candle source, server buttons."""

import pytest
from django.conf import settings

from epochs.models import CandlestickSet, Epoch
from regressions.models import RegressionSelection, TrainingBatch

pytestmark = pytest.mark.django_db


def test_the_admin_says_training_batches():
    assert TrainingBatch._meta.verbose_name_plural == "training batches"


def test_the_dashboard_names_the_configured_candle_source(admin_client):
    html = admin_client.get("/").content.decode()
    assert f'<code id="candle-source">{settings.CANDLESTICK_SOURCE}</code>' in html


def test_server_power_buttons_are_off_without_servers_and_the_admin_is_a_link(admin_client):
    html = admin_client.get("/servers/").content.decode()
    assert html.count("disabled title=") == 2
    assert 'href="/admin/cluster/server/add/"' in html


def test_selection_criteria_read_as_words_not_a_python_dict(admin_client):
    epoch = Epoch.objects.create(
        id="_EDGES", candlestick_set=CandlestickSet.objects.create(name="edges"), status="ready"
    )
    selection = RegressionSelection.objects.create(
        epoch=epoch, name="s", criteria={"order_by": ["-ebe_points", "test_loss"], "min_accuracy": None}
    )
    html = admin_client.get(f"/regressions/selections/{selection.pk}/").content.decode()
    assert "order_by <code>-ebe_points, test_loss</code>" in html and "min_accuracy <code>—</code>" in html
    assert "{&#x27;order_by&#x27;" not in html
