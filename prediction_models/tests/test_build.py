"""Building prediction models: certificates Epoca reads, the holdout period, the API, the pages, the commands."""

import re
from io import StringIO

import numpy as np
import pytest
from django.core.management import call_command

from core.files import read_json
from epochs.services.paths import epoch_dir
from prediction_models import selectors
from prediction_models.engine.assets import load_assets
from prediction_models.engine.backtest import backtest_record
from prediction_models.engine.ranking import LCB_Z
from prediction_models.engine.trading import BacktestSettings, TradeConstants
from prediction_models.models import PredictionModel
from prediction_models.services import paths
from prediction_models.services.build import ranked_configs
from prediction_models.services.certificates import CertificateError, validate_certificate
from prediction_models.services.search import backtest_settings
from regressions.models import Regression
from regressions.services.selection import selection_create
from testing.searches import built

pytestmark = pytest.mark.django_db


def test_build_writes_contract_certificates_ranked_by_profit(ready_search):
    models = built(ready_search, limit=5)
    epoch = ready_search.epoch
    assert len(models) == 5
    best = list(ready_search.profitable_configs.order_by("-profit", "-accuracy", "config_index")[:5])
    assert [m.profitable_config_id for m in models] == [c.pk for c in best]
    build = read_json(paths.build_file(epoch.id))
    assert [c["id"] for c in build] == [m.id for m in models]
    for model, cert in zip(models, build, strict=False):
        assert (
            re.fullmatch(rf"{epoch.id}_[0-9a-f]{{32}}", model.id)
            and 30 <= len(model.id) <= 200
            and "KR_" not in model.id
        )
        assert read_json(selectors.model_certificate_path(model)) == cert
        validate_certificate(cert, epoch.id)
        assert cert["model"]["id"] == cert["id"] and cert["creation"] == build[0]["creation"]
        ids = selectors.model_regression_ids(model)
        assert [r["id"] for r in cert["model"]["regressions"]] == ids
        for r in cert["model"]["regressions"]:
            regression_cert = read_json(epoch_dir(epoch.id) / "regressions" / r["id"] / "certificate.json")
            assert r == regression_cert["regression_config"]
        assert (
            cert["backtest"]["profit"] == pytest.approx(model.profit) and model.profit == model.profitable_config.profit
        )
        for position in cert["backtest"]["positions"]:
            assert position["p"]["s"] == round(sum(position["p"]["f"]), 6) and len(position["p"]["f"]) == len(ids)
    profits = [m.profit for m in models]
    assert profits == sorted(profits, reverse=True)

    broken = dict(build[0], id="KR_" + build[0]["id"])
    with pytest.raises(CertificateError, match="id"):
        validate_certificate(broken, epoch.id)
    broken = {**build[0], "backtest": {**build[0]["backtest"], "profit": None}}
    with pytest.raises(CertificateError, match="backtest.profit"):
        validate_certificate(broken, epoch.id)


def test_build_ranks_by_the_lower_bound_of_the_mean_profit_per_position(ready_search):
    models = built(ready_search, limit=5, ranking="profit_lcb")
    settings = backtest_settings(ready_search.epoch)
    assets = load_assets(paths.assets_dir(ready_search))
    keys = {}
    for config in ready_search.profitable_configs.all():  # each bound from the config's own positions
        _, performance, _ = backtest_record(
            assets,
            config.regression_ids,
            config.price_change_requirement,
            config.min_sum_function,
            config.min_sum_adjustment_factor,
            settings,
        )
        balances = [TradeConstants.of(settings, config.price_change_requirement).initial_balance]
        balances += [p["b"] for p in performance["positions"]]
        pnl = np.diff(balances)
        lcb = pnl.mean() - LCB_Z * pnl.std(ddof=1) / np.sqrt(len(pnl)) if len(pnl) >= 2 else -np.inf
        keys[config.pk] = (-round(lcb, 9), -config.profit, -config.accuracy, config.config_index)
    order = sorted(keys, key=keys.__getitem__)
    assert [m.profitable_config_id for m in models] == order[:5]
    assert [c.pk for c in ranked_configs(ready_search)] == order
    by_profit = ready_search.profitable_configs.order_by("-profit", "-accuracy", "config_index")
    assert order != [c.pk for c in by_profit]  # on these configs the two rankings differ


def test_holdout_is_traded_after_the_selection_from_a_fresh_balance(ready_search):
    models = built(ready_search, limit=36)
    certs = [read_json(selectors.model_certificate_path(m)) for m in models]
    epoch = ready_search.epoch
    settings = BacktestSettings(
        epoch.position_size, epoch.leverage, epoch.exchange_fee, epoch.idle_minutes_on_position_close
    )
    traded = [c for c in certs if c["holdout"]["backtest"]["positions"]]
    assert traded, "no model traded in the holdout period"
    for cert in certs:
        holdout = cert["holdout"]
        assert cert["test_ds_end"] < holdout["test_ds_start"] < holdout["test_ds_end"]
        assert all(p["ct"] <= cert["test_ds_end"] for p in cert["backtest"]["positions"])
        backtest = holdout["backtest"]
        assert (
            backtest["initial_balance"]
            == cert["backtest"]["initial_balance"]
            == round(ready_search.epoch.position_size * 1.5, 2)
        )
        if backtest["positions"]:
            assert backtest["positions"][0]["ot"] >= holdout["test_ds_start"]
            first = backtest["positions"][0]
            money = TradeConstants.of(settings, cert["model"]["price_change_requirement"])
            # the first close moves the fresh initial balance, not the selection's final one
            expected = money.initial_balance + (money.net_profit if first["o"] else -money.net_loss)
            assert first["b"] == pytest.approx(expected)
    model = next(m for m in models if m.holdout_positions)
    assert model.holdout_profit == pytest.approx(
        read_json(selectors.model_certificate_path(model))["holdout"]["backtest"]["profit"]
    )


def test_api_pages_admin_and_commands(ready_search, api_client, client, user, admin_client):
    models = built(ready_search, limit=4)
    response = api_client.get("/api/prediction-models/", {"ordering": "-holdout_profit", "search": ready_search.pk})
    assert response.status_code == 200
    rows = response.json()["results"]
    assert len(rows) == 4 and [r["holdout_profit"] for r in rows] == sorted(
        (m.holdout_profit for m in models), reverse=True
    )
    response = api_client.get("/api/prediction-models/", {"ordering": "accuracy", "min_profit": models[1].profit})
    assert {r["id"] for r in response.json()["results"]} == {m.id for m in models if m.profit >= models[1].profit}
    response = api_client.get(f"/api/prediction-models/{models[0].id}/certificate/")
    assert response.status_code == 200 and response.json()["id"] == models[0].id
    response = api_client.get("/api/profitable-configs/", {"search": ready_search.pk, "ordering": "-accuracy"})
    accuracies = [r["accuracy"] for r in response.json()["results"]]
    assert response.json()["count"] == 36 and accuracies == sorted(accuracies, reverse=True)
    search = api_client.get(f"/api/prediction-model-searches/{ready_search.pk}/").json()
    assert search["chunks_done"] == search["chunks_total"] == 4 and search["profitable_found"] == 36

    client.force_login(user)
    for url in (
        "/prediction-models/",
        f"/prediction-models/searches/{ready_search.pk}/",
        f"/prediction-models/models/{models[0].id}/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
    assert response.content.count(b"Plotly.newPlot") >= 3  # each period (price, balances, drawdowns), the discovery
    assert b"holdout" in response.content
    page = client.get(f"/prediction-models/searches/{ready_search.pk}/").content
    assert b"Plotly.newPlot" in page and b"data-live-job" in page and b"configs/s" in page

    for url in (
        "/admin/prediction_models/predictionmodel/",
        "/admin/prediction_models/predictionmodelsearch/",
        "/admin/regressions/regressionselection/",
    ):
        response = admin_client.get(url)
        assert response.status_code == 200, url
    assert b"initialize_prediction_models_action" in response.content

    out = StringIO()
    call_command("find_profitable_configs", "--search", str(ready_search.pk), stdout=out)
    assert '"profitable": 36' in out.getvalue()
    out = StringIO()
    call_command("initialize_prediction_models", "--search", str(ready_search.pk), "--export-json", stdout=out)
    assert out.getvalue().strip().splitlines()[-1].endswith("lookback_indexer.json")
    call_command("build_prediction_models", "--search", str(ready_search.pk), "--limit", "2")
    assert PredictionModel.objects.filter(search=ready_search).count() == 2
    assert len(read_json(paths.build_file(ready_search.epoch_id))) == 2
    assert not (epoch_dir(ready_search.epoch_id) / models[3].certificate_file).exists()


def test_api_refuses_a_selection_smaller_than_a_model(pm_epoch, api_client):
    one = Regression.objects.filter(epoch=pm_epoch, status="trained").first()
    selection = selection_create(epoch=pm_epoch, name="one", mode="manual", regression_ids=[one.config_id])
    response = api_client.post(
        "/api/prediction-model-searches/", {"selection": selection.pk, "regressions_per_model": [4]}, format="json"
    )
    assert response.status_code == 400 and "a model takes 4" in response.json()["message"]


def test_each_models_marked_drawdown_is_the_one_its_page_shows(ready_search, api_client):
    from prediction_models.services.pages import model_periods

    models = built(ready_search, limit=8)
    traded = [m for m in models if m.positions]
    assert traded, "no model traded"
    for model in traded:
        cert, periods = model_periods(model)
        selection = next(p for p in periods if p.name == "selection")
        assert model.marked_drawdown == cert["metrics"]["marked_drawdown_pct"] == selection.drawdowns["marked"]
        assert model.marked_drawdown <= min(0, selection.drawdowns["closed"])
        holdout = next((p for p in periods if p.name == "holdout"), None)
        if holdout is not None:
            assert cert["holdout"]["metrics"]["marked_drawdown_pct"] == holdout.drawdowns["marked"]
    # The API sorts by it, the deepest first, and serves it.
    rows = api_client.get("/api/prediction-models/", {"ordering": "marked_drawdown", "search": ready_search.pk})
    served = [r["marked_drawdown"] for r in rows.json()["results"]]
    assert served == sorted(m.marked_drawdown for m in models)
    bound = served[len(served) // 2]
    kept = api_client.get("/api/prediction-models/", {"min_marked_drawdown": bound, "search": ready_search.pk})
    assert sorted(r["marked_drawdown"] for r in kept.json()["results"]) == [v for v in served if v >= bound]
