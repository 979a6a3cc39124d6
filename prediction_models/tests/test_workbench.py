"""The models list (duplicates, minimum positions), the backtest report, its CSV, profit factor without losses, EBE in the API."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core import colours
from epochs.models import CandlestickSet, Epoch
from prediction_models.charts_workbench import prediction_figures, report_figures
from prediction_models.engine import report
from prediction_models.engine.ebe import prediction_model_evaluation
from testing.prediction_model_fakes import DISCOVERY, backtest, fake_model, fake_search, position

pytestmark = pytest.mark.django_db

WINNING = [position(1, 0, 30, True, 1010.0), position(-1, 1440 * 31, 1440 * 31 + 45, True, 1030.3)]
MIXED = [
    position(1, 0, 30, True, 1010.0),
    position(-1, 60, 90, False, 1000.0),
    position(1, 1440 * 40, 1440 * 40 + 15, True, 1025.0),
]


@pytest.fixture
def models(client, make_user):
    epoch = Epoch.objects.create(
        id="_PMTEST", candlestick_set=CandlestickSet.objects.create(name="pmtest"), status="ready"
    )
    search = fake_search(epoch)
    built = [
        fake_model(epoch, search, 0, WINNING),
        fake_model(epoch, search, 1, MIXED, profit_factor=3.5),
        fake_model(epoch, search, 2, list(WINNING)),
    ]  # the same positions as the first
    client.force_login(make_user("viewer", "model-reader"))
    return built


def test_trades_pnl_duration_sides_and_monthly_returns():
    bt = {"initial_balance": 1000.0, "positions": MIXED}
    trades = report.trades(bt)
    assert [t["pnl_usdt"] for t in trades] == [10.0, -10.0, 25.0]
    assert [t["side"] for t in trades] == ["long", "short", "long"]
    assert trades[0]["entry_time"] == "2021-02-01T00:00:00Z" and trades[0]["duration_minutes"] == 30
    sides = report.sides(bt)
    assert sides["long"] == {
        "positions": 2,
        "won": 2,
        "lost": 0,
        "accuracy_pct": 100.0,
        "pnl_usdt": 35.0,
        "profit_factor": None,
        "no_losses": True,
        "mean_duration_minutes": 22,
    }
    assert sides["all"]["profit_factor"] == 3.5 and sides["short"]["pnl_usdt"] == -10.0
    assert report.monthly_returns(bt) == [
        {"month": "2021-02", "start_balance": 1000.0, "pnl_usdt": 0.0, "positions": 2, "return_pct": 0.0},
        {"month": "2021-03", "start_balance": 1000.0, "pnl_usdt": 25.0, "positions": 1, "return_pct": 2.5},
    ]


def test_the_list_marks_duplicates_filters_positions_and_shows_infinity(client, models):
    response = client.get("/prediction-models/models/?epoch=_PMTEST&sort=-profit")
    assert response.status_code == 200
    rows = {m.id: dups for m, dups in response.context["rows"]}
    first, mixed, copy = models
    assert rows[first.id] == [copy.id] and rows[copy.id] == [first.id] and rows[mixed.id] == []
    html = response.content.decode()
    assert "∞" in html and "duplicate" in html
    fewer = client.get("/prediction-models/models/?min_positions=3")
    assert [m.id for m, _ in fewer.context["rows"]] == [mixed.id]


def test_the_report_and_its_csv_agree_with_the_certificate(client, models):
    model = models[1]
    response = client.get(f"/prediction-models/models/{model.id}/report/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "3.50" in html and "2021-03" in html and "2021-02-01T00:00:00Z" in html
    csv_response = client.get(f"/prediction-models/models/{model.id}/trades-selection.csv")
    assert csv_response["Content-Type"] == "text/csv"
    rows = list(csv.DictReader(io.StringIO(csv_response.content.decode())))
    assert [r["pnl_usdt"] for r in rows] == ["10.0", "-10.0", "25.0"] and rows[1]["outcome"] == "lost"
    assert client.get(f"/prediction-models/models/{model.id}/trades-holdout.csv").status_code == 404
    never_lost = client.get(f"/prediction-models/models/{models[0].id}/report/").content.decode()
    assert "∞ (no losing position)" in never_lost


def test_the_api_says_no_losses_instead_of_infinity_and_serves_ebe(api_client, models):
    response = api_client.get("/api/prediction-models/?epoch=_PMTEST&ordering=-ebe_points")
    results = {r["id"]: r for r in response.json()["results"]}
    first, mixed, _ = models
    assert results[first.id]["profit_factor"] is None and results[first.id]["no_losses"] is True
    assert results[mixed.id]["profit_factor"] == 3.5 and results[mixed.id]["no_losses"] is False
    ebe = api_client.get(results[mixed.id]["ebe_url"]).json()
    assert ebe["points"] == results[mixed.id]["ebe_points"]
    counts = []
    for ids in ([first.id], [m.id for m in models]):
        with CaptureQueriesContext(connection) as queries:
            body = api_client.get(f"/api/prediction-models/certificates/?ids={','.join(ids)}").json()
        assert [c["id"] for c in body] == ids
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert api_client.get("/api/prediction-models/certificates/?search=x").status_code == 400


def test_ebe_of_the_hand_made_model():
    ebe = prediction_model_evaluation({"backtest": backtest(MIXED), "discovery": DISCOVERY})
    items = {i["name"]: i["points"] for c in ebe["categories"] for i in c["items"] if c["name"] == "Backtest"}
    assert items["Profit"] == 11.25  # 25 USDT of a 100 USDT position size, of 45
    assert items["Accuracy"] == round(45 * (66.67 - 50) / 35, 2)


def test_balance_and_insight_bars_follow_the_positions():
    figures = report_figures({"initial_balance": 1000.0, "final_balance": 1025.0, "positions": MIXED}, (0.7, -0.7))
    balance, insight = figures["balance"]["data"][0], figures["insight"]["data"][0]
    assert balance["y"] == [1010.0, 1000.0, 1025.0] and balance["text"] == ["1010.00", "1000.00", "1025.00"]
    # Fill: the side (long, short, long); outline: the outcome (the short lost).
    assert balance["marker"]["color"] == [colours.LONG, colours.SHORT, colours.LONG]
    assert insight["marker"]["line"]["color"] == [colours.WON, colours.LOST, colours.WON]
    assert insight["y"] == [0.75, 0.75, 0.75]
    assert [s["y0"] for s in figures["insight"]["layout"]["shapes"]] == [0.7, -0.7]
    for figure in figures.values():
        assert figure["layout"]["xaxis"]["title"]["text"] and figure["layout"]["yaxis"]["title"]["text"]


def test_the_prediction_dialog_has_a_bar_per_regression_feature_against_the_min_sums():
    positions = [position(1, 0, 30, True, 1010.0, f=(0.5, 0.25)), position(-1, 60, 90, False, 1000.0, f=(-0.4, -0.1))]
    figures = prediction_figures({"positions": positions}, [{"id": "KR_A"}, {"id": "KR_B"}], (0.7, -0.7))
    short = figures["2"]
    bars = short["data"][0]
    assert bars["x"] == ["KR_A", "KR_B", "sum"] and bars["y"] == [-0.4, -0.1, -0.5]
    assert bars["marker"]["color"][:2] == [colours.SHORT] * 2 and bars["marker"]["line"]["color"] == colours.LOST
    assert [s["y0"] for s in short["layout"]["shapes"]] == [0.7, -0.7]
    assert figures["1"]["data"][0]["y"] == [0.5, 0.25, 0.75]


def _forward_test(model, profit, accuracy, positions, *, status="done"):
    from prediction_models.models import ForwardTest

    return ForwardTest.objects.create(
        prediction_model=model, start=0, end=1, status=status, profit=profit, accuracy=accuracy, positions=positions
    )


def test_the_list_shows_the_latest_forward_test_and_badges_the_best_and_worst(client, models):
    first, mixed, copy = models
    _forward_test(first, -5.0, 40.0, 5)
    _forward_test(first, 12.5, 62.5, 8)  # the latest done one
    _forward_test(first, 99.0, 99.0, 9, status="failed")
    _forward_test(mixed, 3.25, 50.0, 4)
    response = client.get("/prediction-models/models/?epoch=_PMTEST&sort=-profit")
    cells = {m.id: {c["key"]: c for c in m.metric_cells} for m, _ in response.context["rows"]}
    assert cells[first.id]["forward_profit"]["text"] == "12.50" and cells[first.id]["forward_positions"]["text"] == "8"
    assert cells[mixed.id]["forward_accuracy"]["text"] == "50.00" and cells[copy.id]["forward_profit"]["text"] == ""
    assert (
        cells[first.id]["forward_profit"]["badge"] == "best" and cells[mixed.id]["forward_profit"]["badge"] == "worst"
    )
    profits = {mid: c["profit"] for mid, c in cells.items()}
    best = max(models, key=lambda m: m.profit)
    worst = min(models, key=lambda m: m.profit)
    assert profits[best.id]["badge"] == "best" and profits[worst.id]["badge"] == "worst"
    assert all(c["buy_and_hold"]["badge"] == "" for c in cells.values())  # the market's figure is not ranked
    html = response.content.decode()
    assert "Forward profit (USDT)" in html and '<span class="badge best">Best</span>' in html


def test_the_list_orders_by_discovery_points_and_accuracy(client, api_client, models):
    for i, model in enumerate(models):
        type(model).objects.filter(pk=model.pk).update(
            discovery_points=[5, 9, 1][i], discovery_accuracy=[70, 50, 60][i]
        )
    page = client.get("/prediction-models/models/?epoch=_PMTEST&sort=-discovery_points")
    assert [m.id for m, _ in page.context["rows"]] == [models[1].id, models[0].id, models[2].id]
    api = api_client.get("/api/prediction-models/?epoch=_PMTEST&ordering=-discovery_accuracy").json()["results"]
    assert [r["id"] for r in api] == [models[0].id, models[2].id, models[1].id]
    assert api[0]["discovery_accuracy"] == 70


def test_list_and_api_query_counts_do_not_grow_with_the_page(client, api_client, models):
    epoch, search = models[0].search.epoch, models[0].search
    counts = {"page": [], "api": []}
    _forward_test(models[2], 1.0, 50.0, 3)
    for extra in (0, 6):
        for index in range(3, 3 + extra):
            _forward_test(fake_model(epoch, search, index, MIXED), 1.0, 50.0, 3)
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/prediction-models/models/?epoch=_PMTEST").status_code == 200
        counts["page"].append(len(queries))
        with CaptureQueriesContext(connection) as queries:
            body = api_client.get("/api/prediction-models/?epoch=_PMTEST").json()
        assert body["count"] == 3 + extra and body["results"][-1]["latest_forward_test"]["positions"] == 3
        counts["api"].append(len(queries))
    assert counts["page"][0] == counts["page"][1] and counts["api"][0] == counts["api"][1], counts


def test_the_compare_page_draws_every_model_with_badges_bars_and_hyper_parameter_counts(client, models):
    first, mixed, copy = models
    response = client.get(f"/prediction-models/models/compare/?ids={mixed.id},{first.id}&ids={copy.id}")
    assert response.status_code == 200
    assert [m.id for m, _ in response.context["rows"]] == [mixed.id, first.id, copy.id]
    balance = response.context["balance"]["data"]
    assert len(balance) == 3 and balance[0]["y"] == [1000.0, 1010.0, 1000.0, 1025.0, 1025.0]
    assert balance[0]["x"][0] == balance[1]["x"][0] == "2021-02-01T00:00:00Z"
    bars = response.context["bars"]
    assert set(bars) == {"profit", "accuracy", "positions", "fees"}
    assert [(t["name"], t["y"]) for t in bars["positions"]["data"]] == [
        ("long", [2, 1, 1]),
        ("short", [1, 1, 1]),
        ("total", [3, 2, 2]),
    ]
    discovery = response.context["discovery"]
    assert set(discovery) == {f"discovery-{k}" for k in ("points", "accuracy", "predictions", "successful", "ranges")}
    assert discovery["discovery-successful"]["data"][1]["y"] == [0.82] * 3  # |decrease|
    assert len(discovery["discovery-ranges"]["data"]) == 6
    assert bars["profit"]["data"][0]["text"] == [f"{m.profit:.2f}" for m in (mixed, first, copy)]
    hyper = response.context["hyper_parameters"]
    assert hyper["hyper-1"]["data"][0]["x"] == ["mean"] and hyper["hyper-0"]["data"][0]["text"] == ["3"]
    assert hyper["hyper-3"]["data"][0]["x"] == ["0"] and hyper["hyper-3"]["data"][0]["y"] == [3]
    html = response.content.decode()
    charts = html.count('<div class="chart" id="chart-compare-')
    assert '<span class="badge best">Best</span>' in html and charts == 1 + len(bars) + len(discovery) + len(hyper)
    for figure in [response.context["balance"], *bars.values(), *discovery.values(), *hyper.values()]:
        assert figure["layout"]["xaxis"]["title"]["text"] and figure["layout"]["yaxis"]["title"]["text"]
    assert client.get("/prediction-models/models/compare/?ids=nope").status_code == 404


def test_the_search_page_says_when_its_filter_keeps_every_config_and_explains_the_space(client, models):
    search = models[0].search
    search.price_change_requirements, search.min_sum_functions = [1, 2.5], ["mean", "median"]
    search.min_sum_adjustment_factors, search.regressions_per_model = [1, 1.5], 4
    search.min_accuracy, search.min_profit, search.min_positions = 55.0, 0.0, 30
    search.save()
    html = client.get(f"/prediction-models/searches/{search.pk}/").content.decode()
    assert "filter-keeps-every-config" not in html
    assert "mean, median" in html and "1, 2.5 %" in html and "['mean'" not in html
    assert 'href="/glossary/#min-sums"' in html and 'href="/glossary/#msaf"' in html
    search.min_accuracy, search.min_profit, search.min_positions = 0.0, -1e12, 0  # the demo's bounds
    search.save()
    html = client.get(f"/prediction-models/searches/{search.pk}/").content.decode()
    assert 'id="filter-keeps-every-config"' in html and "This search keeps every config." in html
    search.min_positions = 1  # a config without a position is rejected now
    search.save()
    assert "filter-keeps-every-config" not in client.get(f"/prediction-models/searches/{search.pk}/").content.decode()


def test_the_migration_fills_discovery_points_and_accuracy_from_the_certificates(models):
    from importlib import import_module

    from django.apps import apps

    from prediction_models.models import PredictionModel

    migration = import_module("prediction_models.migrations.0008_model_discovery_points_and_accuracy")
    PredictionModel.objects.update(discovery_points=None, discovery_accuracy=None)
    migration.backfill_discovery(apps, None)
    values = set(PredictionModel.objects.values_list("discovery_points", "discovery_accuracy"))
    assert values == {(DISCOVERY["points"], DISCOVERY["accuracy"])}
