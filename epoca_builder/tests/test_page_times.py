"""Pages write every time in UTC ISO 8601, never "Y-m-d H:i" nor a locale's date."""

import re
from datetime import UTC, datetime

import pytest

from accounts.tokens import token_create
from cluster.models import Server, ServerAction
from epochs.choices import EpochStatus
from epochs.models import CandlestickSet, Epoch

pytestmark = pytest.mark.django_db

MOMENT = datetime(2021, 1, 5, 12, 0, 7, tzinfo=UTC)
NOT_ISO = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}|\b(?:a\.m\.|p\.m\.)|\d{2}/\d{2}/\d{4}")


def _text(response) -> str:
    assert response.status_code == 200
    return re.sub(r"<script.*?</script>", "", response.content.decode(), flags=re.S)


def test_servers_pages(admin_client):
    server = Server.objects.create(
        name="gpu-1", host="10.0.0.1", last_seen=MOMENT, host_key_fingerprint="SHA256:x", host_key_confirmed_at=MOMENT
    )
    ServerAction.objects.create(server=server, action="reboot", output="ok")
    listing = _text(admin_client.get("/servers/"))
    assert "2021-01-05T12:00:07Z" in listing and not NOT_ISO.search(listing)
    detail = _text(admin_client.get(f"/servers/{server.pk}/"))
    action = ServerAction.objects.get().created.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert action in detail and not NOT_ISO.search(detail)


def test_tokens_page(client, make_user):
    account = make_user("viewer", "reader")
    token_create(account)
    client.force_login(account)
    html = _text(client.get("/account/tokens/"))
    assert len(re.findall(r"<td>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z</td>", html)) == 2  # created, expires
    assert not NOT_ISO.search(html)


def test_epoch_and_candle_pages(admin_client):
    candles = CandlestickSet.objects.create(
        name="times", first_open_time=1609459200000, last_close_time=1609545599999, last_import=MOMENT
    )
    Epoch.objects.create(id="_TIMES", candlestick_set=candles, status=EpochStatus.FAILED, start=1609459200000)
    epochs = _text(admin_client.get("/epochs/"))
    assert "2021-01-01T00:00:00Z →" in epochs and not NOT_ISO.search(epochs)
    detail = _text(admin_client.get("/epochs/_TIMES/"))
    assert not NOT_ISO.search(detail)
    dashboard = _text(admin_client.get("/"))
    assert "2021-01-01T00:00:00Z" in dashboard and not NOT_ISO.search(dashboard)


def test_the_inspection_writes_times_and_floats_readably(rf, admin_user):
    from django.template.loader import render_to_string

    from epochs.engine.epoch import EPOCH_JSON_TIMES

    report = {
        "name": "_X.zip",
        "members": {},
        "problems": [],
        "epoch_config": {"start": 1609459200000, "highest_price_sma": 61212.77559999999},
        "model_certificate": {
            "creation": 1609459200000,
            "test_ds_start": 1609459200000,
            "test_ds_end": 1609545599999,
            "model": {"min_increase_sum": 1.23456789, "min_decrease_sum": -1.23456789},
            "discovery": {"accuracy": 57.142857142857146},
            "backtest": None,
        },
        "regression_certificates": [],
    }
    request = rf.get("/epochs/inspect/")
    request.user = admin_user
    html = render_to_string(
        "epochs/inspect.html", {"report": report, "regressions": [], "time_keys": EPOCH_JSON_TIMES}, request=request
    )
    assert '1609459200000 <span class="muted">(2021-01-01T00:00:00Z)</span>' in html
    assert ">61212.78<" in html and "↑1.2346 ↓-1.2346" in html and "57.14 %" in html
    assert "2021-01-01T00:00:00Z – 2021-01-01T23:59:59Z" in html and not NOT_ISO.search(html)
