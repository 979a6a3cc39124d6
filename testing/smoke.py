"""A small real epoch with its `smoke` grid: trained once per test run, reused after.

The trained files are kept in a cache folder for the whole run (the root conftest's
``trained_cache``); later tests recreate the rows (epoch, configs) through the services, copy
the cached files in, and the training jobs find them trained and only record them.
"""

import shutil
from pathlib import Path

import pytest
from django.conf import settings

from cluster.choices import JobStatus
from cluster.jobs.cli import run_inline, run_tree_inline
from epochs.services.epochs import epoch_create
from epochs.services.paths import epoch_dir
from regressions.models import TrainingBatch
from regressions.services.grid import configs_plan, configs_record
from regressions.services.training import batch_train_enqueue
from testing.candles import import_months

SMOKE_EPOCH = "_SMOKE"
SMOKE_SETTINGS = {
    "epoch_width": 1,
    "regression_grid_profile": "smoke",
    "max_epochs": 6,
    "patience": 2,
    "batch_size": 256,
    # One month holds few positions: the tests count every config, as the original did.
    "min_positions": 0,
}


def make_smoke_epoch(epoch_id: str = SMOKE_EPOCH, **overrides):
    if not settings.BINANCE_MIRROR_DIR.exists():
        pytest.skip(f"real candles not found at {settings.BINANCE_MIRROR_DIR} (set BINANCE_MIRROR_DIR)")
    candle_set, _ = import_months("2021-01", "2021-03")
    shutil.rmtree(epoch_dir(epoch_id), ignore_errors=True)  # rows of an earlier test were rolled back
    epoch, job = epoch_create(candlestick_set=candle_set, id=epoch_id, inline=True, **{**SMOKE_SETTINGS, **overrides})
    assert run_inline(job).status == JobStatus.SUCCEEDED
    epoch.refresh_from_db()
    configs_record(
        epoch=epoch,
        profile=epoch.regression_grid_profile,
        result=configs_plan(epoch=epoch, profile=epoch.regression_grid_profile),
    )
    return epoch


def train_batches(epoch, cache: Path, names=None):
    """Train (or, from the cache, just record) the epoch's batches."""
    regressions = epoch_dir(epoch.id) / "regressions"
    batches = [
        batch
        for batch in TrainingBatch.objects.filter(epoch=epoch).order_by("category", "number")
        if names is None or batch.name in names
    ]
    # Only the chosen batches' regressions: the cache also holds those other tests trained.
    wanted = {config_id for batch in batches for config_id in batch.configs.values_list("id", flat=True)}
    for cached in cache.iterdir():
        if cached.name in wanted and not (regressions / cached.name).exists():
            shutil.copytree(cached, regressions / cached.name)
    jobs = [run_tree_inline(batch_train_enqueue(batch=batch, inline=True)) for batch in batches]
    for trained in regressions.iterdir():
        if (trained / "certificate.json").exists() and not (cache / trained.name).exists():
            shutil.copytree(trained, cache / trained.name)
    return jobs
