"""Each built model's Deflated Sharpe Ratio against its search's trials, and its plain verdict."""

import json

import pytest

from core.files import read_json
from prediction_models import selectors
from prediction_models.engine.assets import load_assets
from prediction_models.engine.overfitting import NOT_AVAILABLE, daily_returns, day_starts, deflated_sharpe
from prediction_models.engine.trading import TradeConstants
from prediction_models.services import paths
from prediction_models.services.search import backtest_settings
from testing.searches import built

pytestmark = pytest.mark.django_db


def test_built_models_carry_their_deflated_sharpe_and_verdict(ready_search, api_client, client, make_user):
    models = built(ready_search, limit=3)
    summary = ready_search.overfitting
    assert summary and summary["configs_tried"] == 36
    minutes = load_assets(paths.assets_dir(ready_search)).minutes
    days = day_starts(int(minutes.ot[0]), int(minutes.ct[-1]))
    settings = backtest_settings(ready_search.epoch)
    for model in models:
        cert = read_json(selectors.model_certificate_path(model))
        positions = cert["backtest"]["positions"]
        initial = TradeConstants.of(settings, cert["model"]["price_change_requirement"]).initial_balance
        returns = daily_returns([p["ct"] for p in positions], [p["b"] for p in positions], initial, days)
        variance = summary["sharpe_trials"]["variance"]
        for key, n in (("configs_tried", 36), ("distinct_position_sequences", summary["distinct_position_sequences"])):
            expected = deflated_sharpe(returns, variance, n).as_dict()
            assert model.deflated_sharpe[key]["value"] == (
                pytest.approx(expected["value"]) if expected["value"] is not None else None
            )

    assert any(m.deflated_sharpe["configs_tried"]["value"] is not None for m in models)
    best = models[0]
    body = api_client.get(f"/api/prediction-models/{best.id}/").json()
    json.dumps(body, allow_nan=False)
    assert body["deflated_sharpe"] == best.deflated_sharpe
    checks = {c["check"]: c for c in body["verdict"]}
    assert list(checks) == [
        "deflated_sharpe_ratio",
        "probability_of_backtest_overfitting",
        "spa_pvalue_flat",
        "spa_pvalue_buy_and_hold",
        "holdout_profit",
        "forward_tests_profit",
    ]
    assert checks["deflated_sharpe_ratio"]["value"] == best.deflated_sharpe["configs_tried"]["value"]
    assert checks["deflated_sharpe_ratio"]["threshold"] == ">= 0.95"
    pbo = summary["pbo"]["pbo"]
    assert checks["probability_of_backtest_overfitting"]["value"] == pbo
    assert checks["probability_of_backtest_overfitting"]["passed"] == (pbo <= 0.2 if pbo is not None else NOT_AVAILABLE)
    flat = summary["spa_pvalue"]["flat"]["consistent"]
    assert checks["spa_pvalue_flat"]["value"] == flat and checks["spa_pvalue_flat"]["passed"] == (flat <= 0.05)
    assert checks["holdout_profit"]["value"] == best.holdout_profit
    assert checks["holdout_profit"]["passed"] == (best.holdout_profit > 0)
    assert checks["forward_tests_profit"]["passed"] == NOT_AVAILABLE  # no forward test yet

    client.force_login(make_user("viewer", "model-reader"))
    page = client.get(f"/prediction-models/models/{best.id}/").content.decode()
    assert 'id="pm-verdict"' in page and 'data-check="holdout_profit"' in page
    assert "not available" in page and 'id="pm-deflated-sharpe"' in page
    search_page = client.get(f"/prediction-models/searches/{ready_search.pk}/").content.decode()
    assert 'data-field="pbo"' in search_page and 'data-field="spa_pvalue"' in search_page
