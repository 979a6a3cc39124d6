"""A config counts as profitable only with at least ``min_positions`` positions; few are flagged."""

import numpy as np
import pytest

from cluster.choices import JobStatus
from cluster.jobs.cli import run_tree_inline
from epochs.engine.epoch_params import PARAM
from epochs.models import CandlestickSet, Epoch
from epochs.services.epochs import ORIGINAL_PRESET_VALUES
from prediction_models.engine.assets import load_assets
from prediction_models.engine.backtest import Thresholds, evaluate_chunk
from prediction_models.models import PredictionModelSearch, ProfitableConfig
from prediction_models.search_space import search_space
from prediction_models.services import paths
from prediction_models.services.search import backtest_settings, search_find_enqueue
from testing.prediction_model_fakes import fake_model, fake_search, position


def test_min_positions_is_an_epoch_parameter_off_in_the_original_preset():
    assert PARAM["min_positions"].default == 30
    assert ORIGINAL_PRESET_VALUES["min_positions"] == 0


def test_the_ranking_is_an_epoch_parameter_robust_by_default_and_profit_in_the_original_preset():
    assert PARAM["ranking"].default == "profit_lcb" and PARAM["ranking"].choices == ("profit", "profit_lcb")
    assert ORIGINAL_PRESET_VALUES["ranking"] == "profit"
    assert PARAM["null_baseline_seeds"].default == 3


def test_the_thresholds_count_positions():
    summary = np.zeros(3, dtype=[("accuracy", float), ("profit", float), ("positions", np.int32)])
    summary["accuracy"], summary["profit"], summary["positions"] = 60, 1, [29, 30, 31]
    assert Thresholds(min_positions=30).passed(summary).tolist() == [False, True, True]
    assert Thresholds().passed(summary).all()  # the original: any number of positions
    assert not Thresholds(min_positions=30).accepts(60, 1, 29) and Thresholds(min_positions=30).accepts(60, 1, 30)


@pytest.mark.django_db
def test_the_search_records_only_configs_with_enough_positions(ready_search):
    space = search_space(ready_search)
    part = space.parts_[0]
    summary = evaluate_chunk(
        load_assets(paths.assets_dir(ready_search)),
        part.space,
        0,
        len(part.space),
        backtest_settings(ready_search.epoch),
    )
    positions = summary["positions"]
    least = int(positions.max())  # the smoke epoch's month: few positions, many configs with none
    assert 0 < (positions >= least).sum() < len(positions)  # the filter keeps some, drops some
    PredictionModelSearch.objects.filter(pk=ready_search.pk).update(
        min_accuracy=0, min_profit=-1e12, min_positions=least
    )
    ready_search.refresh_from_db()
    job = run_tree_inline(search_find_enqueue(search=ready_search, inline=True))
    assert job.status == JobStatus.SUCCEEDED, job.error
    recorded = set(ProfitableConfig.objects.filter(search=ready_search).values_list("config_index", flat=True))
    assert recorded == {int(i) for i in summary["index"][positions >= least]}
    assert all(c.positions >= least for c in ProfitableConfig.objects.filter(search=ready_search))


@pytest.mark.django_db
def test_models_with_few_positions_are_flagged(client, make_user):
    epoch = Epoch.objects.create(
        id="_PMFEW", candlestick_set=CandlestickSet.objects.create(name="pmfew"), status="ready"
    )
    search = fake_search(epoch)
    few = fake_model(epoch, search, 0, [position(1, 0, 30, True, 1010.0)])
    many = fake_model(
        epoch, search, 1, [position(1, 60 * i, 60 * i + 30, True, 1000.0 + 10 * (i + 1)) for i in range(30)]
    )
    assert few.few_positions and not many.few_positions
    PredictionModelSearch.objects.filter(pk=search.pk).update(min_positions=40)
    many.refresh_from_db()
    many.search.refresh_from_db()
    assert many.few_positions  # 30 positions, fewer than the search's 40
    client.force_login(make_user("viewer", "model-reader"))
    html = client.get("/prediction-models/models/?epoch=_PMFEW").content.decode()
    assert html.count('data-field="few-positions"') == 2
