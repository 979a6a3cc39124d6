"""Forward tests: a model built on an epoch ending 2023-12, traded over 2024-01..2024-03 of real
candles with the inputs Epoca's prediction service computes live (EPOCA_CONTRACT.md §3.2)."""

from io import StringIO

import numpy as np
import pandas as pd
import pytest
from django.conf import settings
from django.core.management import call_command

from cluster.choices import JobStatus
from cluster.jobs.cli import run_inline
from core.errors import ApplicationError
from core.files import read_json
from epochs.engine import store as candle_store
from epochs.services.paths import candle_store_dir, epoch_dir
from prediction_models import selectors
from prediction_models.choices import ForwardTestStatus
from prediction_models.services import files as certificate_files
from prediction_models.services.forward_tests import WINDOWS_FILE, forward_test_create, forward_test_dir
from testing.forward_support import base_store, build_models, make_epoch, months_ms

pytestmark = pytest.mark.django_db

PERFORMANCE_KEYS = {
    "position_size",
    "initial_balance",
    "final_balance",
    "profit",
    "fees",
    "leverage",
    "exchange_fee",
    "idle_minutes_on_position_close",
    "positions",
    "increase_num",
    "decrease_num",
    "increase_outcome_num",
    "decrease_outcome_num",
    "increase_accuracy",
    "decrease_accuracy",
    "accuracy",
    "largest_balance_drawdown",
}


@pytest.fixture
def forward_model(db, trained_cache):
    if not settings.BINANCE_MIRROR_DIR.exists():
        pytest.skip(f"real candles not found at {settings.BINANCE_MIRROR_DIR} (set BINANCE_MIRROR_DIR)")
    epoch = make_epoch("_FWD", base_store())
    _, _, models = build_models(epoch, trained_cache, limit=1)
    return epoch, models[0]


def epoca_inputs(closes: np.ndarray, sma_window: int, lookback: int, highest: float, lowest: float):
    """Epoca's service per request: rolling mean of the closes it is sent, NaN rows dropped, strict bounds."""
    sma = pd.Series(closes).rolling(sma_window).mean().dropna().to_numpy()
    assert len(sma) == lookback
    refused = not (sma.max() < highest and sma.min() > lowest)
    return (sma - lowest) / (highest - lowest), refused


def test_forward_test_over_the_first_quarter_of_2024(forward_model, api_client, client, user):
    epoch, model = forward_model
    config = read_json(epoch_dir(epoch.id) / "epoch.json")
    start, end = months_ms("2024-01", "2024-03")
    assert config["end"] == epoch.end < start

    with pytest.raises(ApplicationError, match="must start after the end of epoch _FWD"):
        forward_test_create(model=model, start=epoch.end - 86_400_000, end=end)
    with pytest.raises(ApplicationError, match="imported up to"):
        forward_test_create(model=model, start=start, end=months_ms("2024-05", "2024-05")[1])

    forward_test, job = forward_test_create(model=model, start=start, end=end, inline=True)
    job = run_inline(job)
    assert job.status == JobStatus.SUCCEEDED, job.error
    forward_test.refresh_from_db()
    assert forward_test.status == ForwardTestStatus.DONE
    record = certificate_files.forward_test_record(forward_test)

    # Recompute every decision's input as Epoca's service would, request by request.
    cert = certificate_files.model_certificate(model)
    lookback = cert["model"]["regressions"][0]["lookback"]
    predictions = cert["model"]["regressions"][0]["predictions"]
    every = candle_store.load_prediction_candles(candle_store_dir(epoch.candlestick_set.name), 15).between(None, end)
    first = int(np.searchsorted(every.ot, start))
    in_range = len(every) - first
    assert in_range == 91 * 96  # 2024-01-01 .. 2024-03-31, no gap in the real data
    decisions = in_range - predictions  # the last forecast horizon only serves the labels
    history = config["sma_window_size"] + lookback - 1
    windows = np.load(forward_test_dir(forward_test) / WINDOWS_FILE)
    refused = np.empty(decisions, bool)
    for d in range(decisions):
        normalized, refused[d] = epoca_inputs(
            every.c[first + d - history : first + d],
            config["sma_window_size"],
            lookback,
            config["highest_price_sma"],
            config["lowest_price_sma"],
        )
        if d % 97 == 0:
            np.testing.assert_allclose(windows[d], normalized, rtol=0, atol=1e-12)
    assert forward_test.decisions == record["rows"] == decisions
    # Prices left the epoch's range in 2024 (BTC went from about 42k to 70k USD): Epoca refuses those rows.
    assert forward_test.refused_rows == record["refused_rows"] == int(refused.sum())
    assert 0 < forward_test.refused_rows < decisions

    performance = record["backtest"]
    assert set(performance) >= PERFORMANCE_KEYS and set(record["metrics"]) >= {"buy_and_hold_pct", "sharpe_ratio"}
    assert performance["initial_balance"] == performance["final_balance"] - performance["profit"]
    assert (record["min_increase_sum"], record["min_decrease_sum"]) == (
        cert["model"]["min_increase_sum"],
        cert["model"]["min_decrease_sum"],
    )
    for position in performance["positions"]:  # no position opens on a refused row
        decision = int(np.searchsorted(every.ot, position["ot"], "right")) - 1 - first
        assert not refused[decision] and all(f is not None for f in position["p"]["f"])
    assert forward_test.positions == len(performance["positions"]) and forward_test.profit == performance["profit"]

    # Several forward tests per model: the command runs another one.
    out = StringIO()
    call_command("forward_test", "--model", model.id, "--from", "2024-02", "--to", "2024-02-15", stdout=out)
    assert "succeeded" in out.getvalue()
    tests = list(selectors.forward_tests_of(model))
    assert [t.pk for t in tests] == [forward_test.pk, tests[1].pk] and tests[1].decisions == 15 * 96 - predictions

    response = api_client.get(f"/api/prediction-models/{model.id}/forward-tests/")
    assert response.status_code == 200
    rows = response.json()
    assert [r["refused_rows"] for r in rows] == [t.refused_rows for t in tests]
    assert rows[0]["record"]["backtest"]["profit"] == performance["profit"]
    response = api_client.post(
        f"/api/prediction-models/{model.id}/forward-test/", {"start": "2023-12", "end": "2024-01"}, format="json"
    )
    assert response.status_code == 400 and "must start after the end of epoch" in response.json()["message"]
    response = api_client.post(
        f"/api/prediction-models/{model.id}/forward-test/", {"start": "2024-03", "end": "2024-03"}, format="json"
    )
    assert response.status_code == 202 and response.json()["kind"] == "prediction_models.forward_test"

    client.force_login(user)
    page = client.get(f"/prediction-models/models/{model.id}/").content.decode()
    assert "Run a forward test" in page and f"forward test #{forward_test.pk}" in page
    assert "Refused by Epoca" in page and "Epoca predicts live only while" in page
    assert "spends them" in page and "does not trade on" in page
    assert (
        page.count("Plotly.newPlot") >= 4 + 1
    )  # the period chart of selection, holdout and two forward tests; discovery
