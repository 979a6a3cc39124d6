"""A smoke epoch with four trained regressions and a search of their pairs (fixtures and helpers)."""

import shutil
from pathlib import Path

import pytest

from cluster.choices import JobStatus
from cluster.jobs.cli import run_inline
from regressions.models import Regression, TrainingBatch
from regressions.services.selection import selection_create
from testing.smoke import make_smoke_epoch, train_batches

REGRESSIONS = 4


@pytest.fixture(scope="session")
def features_cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("prediction-model-features")


@pytest.fixture
def pm_epoch(db, trained_cache):
    """The smoke epoch with (at least) its first batches trained: enough for four regressions."""
    epoch = make_smoke_epoch()
    names, count = [], 0
    for batch in TrainingBatch.objects.filter(epoch=epoch).order_by("category", "number"):
        names.append(batch.name)
        count += batch.configs.count()
        if count >= REGRESSIONS:
            break
    jobs = train_batches(epoch, trained_cache, names=names)
    assert all(job.status == JobStatus.SUCCEEDED for job in jobs), [(j.pk, j.error) for j in jobs]
    return epoch


def make_search(epoch, features_cache: Path | None = None):
    """A search of 2-regression models over four regressions, its assets built.

    With ``features_cache`` the features predicted by an earlier test are reused (the child
    process then skips Keras); without, they are predicted here.
    """
    from prediction_models.services import paths
    from prediction_models.services.search import search_initialize

    ids = list(
        Regression.objects.filter(epoch=epoch, status="trained")
        .order_by("config_id")
        .values_list("config_id", flat=True)[:REGRESSIONS]
    )
    selection = selection_create(epoch=epoch, name="four", mode="manual", regression_ids=ids)
    search, job = search_initialize(selection=selection, regressions_per_model=[2], chunk_size=10, inline=True)
    if features_cache is not None:
        paths.features_dir(search).mkdir(parents=True, exist_ok=True)
        for path in features_cache.glob("*.npy"):
            shutil.copy(path, paths.features_dir(search) / path.name)
    job = run_inline(job)
    assert job.status == JobStatus.SUCCEEDED, job.error
    if features_cache is not None:
        for path in paths.features_dir(search).glob("*.npy"):
            if not (features_cache / path.name).exists():
                shutil.copy(path, features_cache / path.name)
    search.refresh_from_db()
    return search


def built(search, limit=5, ranking="profit"):
    """Find every config of ``search`` profitable, then build its best ``limit`` models (inline),
    ranked by ``ranking`` (no null baseline: the build does not read it)."""
    from cluster.jobs.cli import run_tree_inline
    from prediction_models import selectors
    from prediction_models.models import PredictionModelSearch
    from prediction_models.services.build import models_build_enqueue
    from prediction_models.services.search import search_find_enqueue

    PredictionModelSearch.objects.filter(pk=search.pk).update(  # every config passes
        min_accuracy=0, min_profit=-1e12, ranking=ranking, null_baseline_seeds=0
    )
    search.refresh_from_db()
    assert run_tree_inline(search_find_enqueue(search=search, inline=True)).status == JobStatus.SUCCEEDED
    search.refresh_from_db()
    job = run_tree_inline(models_build_enqueue(search=search, limit=limit, inline=True))
    assert job.status == JobStatus.SUCCEEDED, job.error
    return list(selectors.model_list(search=search).order_by("rank"))
