"""A small real epoch with its `smoke` grid trained: trained once per test run, reused after.

The trained files are kept in a cache folder for the whole run; later tests recreate the rows
(epoch, configs) through the services, copy the cached files in, and the training jobs find
them trained and only record them.
"""
import shutil
from pathlib import Path

import pytest
from django.conf import settings

from cluster.choices import JobStatus
from cluster.jobs.cli import run_inline, run_tree_inline
from epochs.services.epochs import epoch_create
from epochs.services.paths import epoch_dir
from epochs.tests.conftest import import_months
from regressions.models import Regression, TrainingBatch
from regressions.services.grid import configs_plan, configs_record
from regressions.services.training import batch_train_enqueue

SMOKE_EPOCH = "_SMOKE"
SMOKE_SETTINGS = {"epoch_width": 1, "regression_grid_profile": "smoke", "max_epochs": 6, "patience": 2, "batch_size": 256}


def make_smoke_epoch(epoch_id: str = SMOKE_EPOCH, **overrides):
    if not settings.BINANCE_MIRROR_DIR.exists():
        pytest.skip(f"real candles not found at {settings.BINANCE_MIRROR_DIR} (set BINANCE_MIRROR_DIR)")
    candle_set, _ = import_months("2021-01", "2021-03")
    shutil.rmtree(epoch_dir(epoch_id), ignore_errors=True)  # rows of an earlier test were rolled back
    epoch, job = epoch_create(candlestick_set=candle_set, id=epoch_id, inline=True, **{**SMOKE_SETTINGS, **overrides})
    assert run_inline(job).status == JobStatus.SUCCEEDED
    epoch.refresh_from_db()
    configs_record(epoch=epoch, profile=epoch.regression_grid_profile, result=configs_plan(epoch=epoch, profile=epoch.regression_grid_profile))
    return epoch


def train_batches(epoch, cache: Path, names=None):
    """Train (or, from the cache, just record) the epoch's batches."""
    regressions = epoch_dir(epoch.id) / "regressions"
    for cached in cache.iterdir():
        if not (regressions / cached.name).exists():
            shutil.copytree(cached, regressions / cached.name)
    jobs = []
    for batch in TrainingBatch.objects.filter(epoch=epoch).order_by("category", "number"):
        if names is None or batch.name in names:
            jobs.append(run_tree_inline(batch_train_enqueue(batch=batch, inline=True)))
    for trained in regressions.iterdir():
        if (trained / "certificate.json").exists() and not (cache / trained.name).exists():
            shutil.copytree(trained, cache / trained.name)
    return jobs


@pytest.fixture
def smoke_epoch(db):
    return make_smoke_epoch()


@pytest.fixture
def trained_smoke_epoch(smoke_epoch, trained_cache):
    jobs = train_batches(smoke_epoch, trained_cache)
    assert all(job.status == JobStatus.SUCCEEDED for job in jobs), [(j.pk, j.error) for j in jobs]
    return smoke_epoch


@pytest.fixture
def trained_unit_test(db, trained_cache):
    """The UNIT_TEST regression of a small epoch, trained once per run (later tests copy its files in)."""
    epoch = make_smoke_epoch("_RETRAIN", max_epochs=2)
    jobs = train_batches(epoch, trained_cache, names=["KR_UNIT_TEST"])
    assert [job.status for job in jobs] == [JobStatus.SUCCEEDED]
    return epoch, Regression.objects.get(config__batch__epoch=epoch, config__batch__name="KR_UNIT_TEST")
