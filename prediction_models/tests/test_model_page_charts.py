"""The model page's period chart: one time axis for price, balances and drawdowns; each drawdown curve agrees with its number."""

import pytest

from epochs.models import CandlestickSet, Epoch
from testing.prediction_model_fakes import fake_assets, fake_model, fake_search, position

pytestmark = pytest.mark.django_db

# The first long opens above the price (about 101.6 USDT then): under water until it wins.
NEVER_FELL = [{**position(1, 0, 30, True, 1010.0), "op": 102.5}, position(-1, 1440 * 31, 1440 * 31 + 45, True, 1030.3)]
FELL = [position(1, 60, 900, True, 1010.0), position(-1, 1000, 2000, False, 995.0), position(1, 3000, 3100, True, 1004)]


def _epoch_with(client, make_user, positions, index=0):
    epoch = Epoch.objects.create(
        id="_PMCHART", candlestick_set=CandlestickSet.objects.create(name="pmchart"), status="ready"
    )
    search = fake_search(epoch)
    fake_assets(search)
    model = fake_model(epoch, search, index, positions)
    client.force_login(make_user("viewer", "model-reader"))
    return model


def _traces(figure):
    return {trace.get("name"): trace for trace in figure["data"]}


def _side(client, model):
    response = client.get(f"/prediction-models/models/{model.id}/")
    assert response.status_code == 200
    return response, response.context["sides"][0]


@pytest.mark.parametrize("positions", [NEVER_FELL, FELL], ids=["never-fell", "fell"])
def test_every_line_shares_the_period_and_each_drawdown_agrees_with_its_number(client, make_user, positions):
    model = _epoch_with(client, make_user, positions)
    response, side = _side(client, model)
    figure, drawdowns = side["figure"], side["drawdowns"]
    traces = _traces(figure)
    first, last = "2021-02-01T00:00:00+00:00", "2021-04-01T23:59:00+00:00"
    lines = [t for t in figure["data"] if t.get("mode") == "lines"]
    assert len(lines) == 5
    for trace in lines:
        assert (trace["x"][0], trace["x"][-1]) == (first, last), trace["name"]
    candles = next(t for t in figure["data"] if t["type"] == "candlestick")
    assert candles["x"][0] == first  # the warm-up before the period is not drawn
    assert figure["layout"]["xaxis"]["range"] == [first, last]
    assert figure["layout"]["xaxis"]["matches"] == figure["layout"]["xaxis2"]["matches"] == "x3"  # one x axis

    closed = next(t for name, t in traces.items() if name.startswith("drawdown, closed"))
    marked = next(t for name, t in traces.items() if name.startswith("drawdown, marked"))
    assert round(min(closed["y"]), 2) + 0.0 == drawdowns["closed"]
    assert round(min(marked["y"]), 2) + 0.0 == drawdowns["marked"]
    assert f"{drawdowns['closed']:.2f} %" in closed["name"] and f"{drawdowns['marked']:.2f} %" in marked["name"]
    # The certificate's signed figure (original §7.4) is the closed curve's deepest point when the balance fell.
    assert drawdowns["closed"] == min(0, drawdowns["certificate"]) and drawdowns["marked"] <= drawdowns["closed"]
    html = response.content.decode()
    for field in ("certificate", "closed", "marked"):
        assert f'data-field="{field}-drawdown">{drawdowns[field]:.2f} %' in html
    assert "positive when the balance" in html


def test_a_balance_that_never_fell_has_a_flat_closed_curve_and_a_positive_certificate_figure(client, make_user):
    model = _epoch_with(client, make_user, NEVER_FELL)
    _, side = _side(client, model)
    assert side["drawdowns"]["certificate"] > 0 and side["drawdowns"]["closed"] == 0.0
    assert side["drawdowns"]["marked"] < 0, side["drawdowns"]  # the first long was under water until it won
