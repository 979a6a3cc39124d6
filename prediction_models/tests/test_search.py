"""Finding profitable configs: chunked jobs, each config recorded once, resumable after a failure."""

import numpy as np
import pytest

from cluster.choices import JobStatus
from cluster.jobs.cli import run_tree_inline
from prediction_models.choices import SearchStatus
from prediction_models.engine import backtest_reference
from prediction_models.engine.assets import load_assets
from prediction_models.engine.backtest import SearchCancelled
from prediction_models.engine.config_space import ConfigSpace
from prediction_models.engine.trading import BacktestSettings
from prediction_models.models import ConfigChunk, PredictionModelSearch, ProfitableConfig
from prediction_models.services import paths
from prediction_models.services import search as search_service
from prediction_models.services.search import search_find_enqueue


def reference_results(search) -> dict[int, dict]:
    """Every config of the space evaluated by the per-minute reference on the selection assets."""
    epoch = search.epoch
    assets = load_assets(paths.assets_dir(search))
    space = ConfigSpace(
        tuple(search.regression_ids),
        2,
        tuple(search.price_change_requirements),
        tuple(search.min_sum_functions),
        tuple(search.min_sum_adjustment_factors),
    )
    settings = BacktestSettings(
        epoch.position_size, epoch.leverage, epoch.exchange_fee, epoch.idle_minutes_on_position_close
    )
    results = {}
    for index in range(len(space)):
        c = space.minified(index)
        _, performance, _ = backtest_reference.evaluate(assets, c["ri"], c["pcr"], c["msf"], c["msaf"], settings)
        results[index] = {**c, "profit": performance["profit"], "accuracy": performance["accuracy"]}
    return results


def with_half_passing(search) -> set[int]:
    """Set the filter so that about half of the configs pass; return the ones that must."""
    results = reference_results(search)
    min_profit = float(np.median([r["profit"] for r in results.values()]))
    PredictionModelSearch.objects.filter(pk=search.pk).update(min_accuracy=0, min_profit=min_profit)
    search.refresh_from_db()
    return {i for i, r in results.items() if r["profit"] > min_profit}


@pytest.mark.django_db
def test_find_records_exactly_the_configs_that_pass_on_the_selection_period(ready_search):
    expected = with_half_passing(ready_search)
    job = run_tree_inline(search_find_enqueue(search=ready_search, inline=True))
    assert job.status == JobStatus.SUCCEEDED, job.error
    ready_search.refresh_from_db()
    assert ready_search.status == SearchStatus.SEARCHED
    assert ready_search.chunks.count() == 4 and not ready_search.chunks.filter(done=False).exists()  # 36 configs by 10
    assert job.children.filter(kind="prediction_models.search_chunk").count() == 4
    # then the null baseline: one search per seed on day-permuted features, each recorded once
    assert job.children.filter(kind="prediction_models.null_baseline").count() == 3
    assert sorted(ready_search.null_baseline) == ["1", "2", "3"]
    assert ready_search.overfitting["null_pass_rates"] == [ready_search.null_baseline[s]["pass_rate"] for s in "123"]
    recorded = {c.config_index: c for c in ProfitableConfig.objects.filter(search=ready_search)}
    assert set(recorded) == expected
    assert ready_search.configs_evaluated == ready_search.total_configs == 36
    assert ready_search.profitable_found == len(expected)
    results = reference_results(ready_search)
    for index, config in recorded.items():
        assert config.regression_ids == results[index]["ri"] and config.min_sum_function == results[index]["msf"]
        assert config.profit == pytest.approx(results[index]["profit"], abs=1e-9)

    again = run_tree_inline(search_find_enqueue(search=ready_search, inline=True))
    assert again.status == JobStatus.SUCCEEDED and again.children.count() == 0
    assert ProfitableConfig.objects.filter(search=ready_search).count() == len(expected)


@pytest.mark.django_db
def test_a_chunk_that_dies_before_recording_is_searched_again_and_recorded_once(ready_search, monkeypatch):
    expected = with_half_passing(ready_search)
    real_record = search_service.chunk_record

    def dies_on_chunk_one(*, chunk, **kwargs):
        if chunk.index == 1:
            raise RuntimeError("worker killed")
        return real_record(chunk=chunk, **kwargs)

    monkeypatch.setattr(search_service, "chunk_record", dies_on_chunk_one)
    job = run_tree_inline(search_find_enqueue(search=ready_search, inline=True))
    assert job.status == JobStatus.FAILED and "not done" in job.error
    failed = ConfigChunk.objects.get(search=ready_search, index=1)
    assert (
        not failed.done
        and not ProfitableConfig.objects.filter(
            search=ready_search, config_index__gte=failed.start, config_index__lt=failed.stop
        ).exists()
    )

    # A config of that chunk recorded by an earlier attempt must not come twice.
    monkeypatch.setattr(search_service, "chunk_record", real_record)
    leftover = next((i for i in sorted(expected) if failed.start <= i < failed.stop), None)
    if leftover is not None:
        ProfitableConfig.objects.create(
            search=ready_search,
            config_index=leftover,
            regression_ids=[],
            price_change_requirement=3,
            min_sum_function="mean",
            min_sum_adjustment_factor=1,
            profit=1,
            accuracy=1,
            positions=1,
            final_balance=1,
        )
    job = run_tree_inline(search_find_enqueue(search=ready_search, inline=True))
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert job.children.filter(kind="prediction_models.search_chunk").count() == 1  # only the chunk not done
    indexes = list(ProfitableConfig.objects.filter(search=ready_search).values_list("config_index", flat=True))
    assert sorted(indexes) == sorted(expected)

    done = ConfigChunk.objects.get(search=ready_search, index=1)
    assert search_service.chunk_run(chunk=done) == {"chunk": 1, "skipped": "done already"}


@pytest.mark.django_db
def test_a_cancelled_chunk_records_nothing(ready_search):
    search_service.chunks_ensure(search=ready_search)
    chunk = ConfigChunk.objects.get(search=ready_search, index=0)
    with pytest.raises(SearchCancelled):
        search_service.chunk_run(chunk=chunk, should_stop=lambda: True)
    chunk.refresh_from_db()
    assert not chunk.done and not ProfitableConfig.objects.filter(search=ready_search).exists()
