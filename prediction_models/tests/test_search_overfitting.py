"""A search's overfitting statistics: each chunk's partial, merged at the end, equal to one pass."""

import dataclasses
import json

import numpy as np
import pytest

from cluster.choices import JobStatus
from cluster.jobs.cli import run_tree_inline
from epochs.services.paths import epoch_layout
from prediction_models.engine.assets import load_assets
from prediction_models.engine.backtest import Thresholds, evaluate_chunk, evaluate_chunk_returns
from prediction_models.engine.overfitting import feature_day_permutation
from prediction_models.engine.ranking import extra_series, pbo_ranking
from prediction_models.models import PredictionModelSearch
from prediction_models.search_space import overfitting_accumulator, search_space
from prediction_models.services import paths
from prediction_models.services.search import backtest_settings, chunk_spec, search_find_enqueue


@pytest.mark.django_db
def test_the_chunked_search_stores_the_summary_of_one_pass_over_the_same_configs(
    ready_search, api_client, client, user, tmp_path
):
    PredictionModelSearch.objects.filter(pk=ready_search.pk).update(min_accuracy=0, min_profit=0)
    ready_search.refresh_from_db()
    job = run_tree_inline(search_find_enqueue(search=ready_search, inline=True))
    assert job.status == JobStatus.SUCCEEDED, job.error
    ready_search.refresh_from_db()
    assert ready_search.chunks.count() == 4
    layout = epoch_layout(ready_search.epoch_id)
    for chunk in ready_search.chunks.all():
        assert layout.chunk_overfitting(ready_search.pk, chunk.index).exists()

    spec = chunk_spec(ready_search)
    assets = load_assets(paths.assets_dir(ready_search))
    one_pass, days = overfitting_accumulator(assets, spec["overfitting"])
    part = search_space(ready_search).parts_[0]
    summary, returns = evaluate_chunk_returns(
        assets, part.space, 0, len(part.space), backtest_settings(ready_search.epoch), days
    )
    thresholds = Thresholds(min_accuracy=0, min_profit=0, min_positions=ready_search.min_positions)
    assert ready_search.ranking == "profit_lcb"  # the default: the PBO picks by the same ranking's analogue
    one_pass.add(
        returns,
        config_index=summary["index"],
        passed=thresholds.passed(summary),
        positions=summary["positions"],
        extra=extra_series("profit_lcb", returns),
    )
    expected = one_pass.summary(ranking=pbo_ranking("profit_lcb")).as_dict()

    # The null baseline: one job per seed (3 by default), each a whole search on day-permuted features.
    stored = ready_search.overfitting
    assert stored.pop("null_seeds") == [1, 2, 3] == sorted(int(s) for s in ready_search.null_baseline)
    rates = stored.pop("null_pass_rates")
    assert stored.pop("null_pass_rate") == pytest.approx(np.mean(rates))
    for seed, rate in zip([1, 2, 3], rates, strict=True):
        order = feature_day_permutation(
            assets.minutes.ot, assets.lookback_indexer, assets.features_num, ready_search.epoch.seed * 1000 + seed
        )
        permuted = dataclasses.replace(assets, features=assets.features[:, order])
        again = evaluate_chunk(permuted, part.space, 0, len(part.space), backtest_settings(ready_search.epoch))
        assert ready_search.null_baseline[str(seed)]["passed"] == int(thresholds.passed(again).sum())
        assert rate == pytest.approx(thresholds.passed(again).mean())
    expected.pop("null_pass_rate")
    assert stored["configs_tried"] == 36 == expected["configs_tried"]
    assert stored["pass_rate"] == pytest.approx(ready_search.profitable_found / 36)
    # Equal but for the trials' Sharpe moments, merged chunk by chunk (Chan et al.): rounding only.
    sharpe, expected_sharpe = stored.pop("sharpe_trials"), expected.pop("sharpe_trials")
    assert json.dumps(stored, sort_keys=True) == json.dumps(expected, sort_keys=True)
    assert sharpe["count"] == expected_sharpe["count"] > 1
    assert sharpe["mean"] == pytest.approx(expected_sharpe["mean"], rel=1e-12)
    assert sharpe["variance"] == pytest.approx(expected_sharpe["variance"], rel=1e-12)
    assert stored["settings"]["spa_reps"] == 1000 and stored["settings"]["seed"] == ready_search.epoch.seed
    assert stored["spa_pvalue"]["buy_and_hold"] is not None

    body = api_client.get(f"/api/prediction-model-searches/{ready_search.pk}/").json()
    for key in ("configs_tried", "pass_rate", "null_pass_rate", "null_pass_rates", "pbo", "spa_pvalue"):
        assert key in body["overfitting"]
    assert body["ranking"] == "profit_lcb" and len(body["overfitting"]["null_pass_rates"]) == 3
    client.force_login(user)
    page = client.get(f"/prediction-models/searches/{ready_search.pk}/")
    assert page.status_code == 200 and 'data-field="null_pass_rates"' in page.content.decode()
    assert body["overfitting"]["pbo"]["pbo"] == expected["pbo"]["pbo"]
    assert np.isfinite(body["overfitting"]["pass_rate"])
