"""A small real epoch ending 2023-12 (two tiny regressions), the pipeline up to its built models,
and candle stores perturbed after a given time, for the forward-test and no-look-ahead tests."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime

import numpy as np

from cluster.choices import JobStatus
from cluster.jobs.cli import run_inline, run_tree_inline
from core.files import sha256_file, write_json
from epochs.engine import store as candle_store
from epochs.engine.candles import Candles, write_parquet
from epochs.models import CandlestickSet
from epochs.services.epochs import epoch_create
from epochs.services.paths import candle_store_dir, epoch_dir
from prediction_models.models import PredictionModel
from prediction_models.services.build import models_build_enqueue
from prediction_models.services.forward_tests import range_of_dates
from prediction_models.services.search import search_find_enqueue, search_initialize
from regressions.models import TrainingBatch
from regressions.services.grid import configs_plan, configs_record
from regressions.services.selection import selection_create
from regressions.services.training import batch_train_enqueue
from testing.candles import import_months
from testing.smoke import SMOKE_SETTINGS

MONTHS = ("2023-12", "2024-03")
STORE = "binance-btcusdt-2024"
EPOCH_END = int(datetime(2024, 1, 1, tzinfo=UTC).timestamp() * 1000) - 1
SETTINGS = {
    **SMOKE_SETTINGS,
    "data_end": EPOCH_END,
    "regressions_per_model": [1, 2],
    "min_accuracy": 0.0,
    "min_profit": -1e12,
}
CATEGORY = "DNN"  # the quickest tiny models


def base_store() -> CandlestickSet:
    return import_months(*MONTHS, name=STORE)[0]


def perturbed_store(name: str, after_ms: int, until_ms: int | None = None, seed: int = 7) -> CandlestickSet:
    """A copy of the base store whose prices from ``after_ms`` on (to ``until_ms``) are scaled by
    one random factor per day in [0.75, 1.3], so every candle stays valid but the path changes."""
    base = base_store()
    source, target = candle_store_dir(base.name), candle_store_dir(name)
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target)
    manifest = candle_store.read_manifest(target)
    rng = np.random.default_rng(seed)
    factors = rng.uniform(0.75, 1.3, 400)
    for entry in manifest["months"].values():
        path = target / entry["file"]
        candles = candle_store.read_parquet(path)
        hit = candles.ot >= after_ms
        if until_ms is not None:
            hit &= candles.ct <= until_ms
        if not hit.any():
            continue
        factor = np.where(hit, factors[(candles.ot // 86_400_000) % 400], 1.0)
        write_parquet(
            Candles(
                candles.ot,
                candles.ct,
                candles.o * factor,
                candles.h * factor,
                candles.l * factor,
                candles.c * factor,
                candles.v,
            ),
            path,
        )
        entry["sha256"] = sha256_file(path)
    write_json(target / candle_store.MANIFEST, manifest)
    fields = {
        f.name: getattr(base, f.name) for f in CandlestickSet._meta.fields if f.name not in ("id", "name", "created")
    }
    return CandlestickSet.objects.create(name=name, **fields)


def make_epoch(epoch_id: str, candle_set: CandlestickSet, **overrides):
    shutil.rmtree(epoch_dir(epoch_id), ignore_errors=True)
    epoch, job = epoch_create(candlestick_set=candle_set, id=epoch_id, inline=True, **{**SETTINGS, **overrides})
    job = run_inline(job)
    assert job.status == JobStatus.SUCCEEDED, job.error
    epoch.refresh_from_db()
    configs_record(
        epoch=epoch,
        profile=epoch.regression_grid_profile,
        result=configs_plan(epoch=epoch, profile=epoch.regression_grid_profile),
    )
    return epoch


def train(epoch, cache) -> None:
    """Train the epoch's first batch of quick regressions (or record them from the run's cache)."""
    regressions = epoch_dir(epoch.id) / "regressions"
    for cached in cache.iterdir():
        if not (regressions / cached.name).exists():
            shutil.copytree(cached, regressions / cached.name)
    batch = TrainingBatch.objects.filter(epoch=epoch, category=CATEGORY).order_by("number").first()
    job = run_tree_inline(batch_train_enqueue(batch=batch, inline=True))
    assert job.status == JobStatus.SUCCEEDED, job.error
    for trained in regressions.iterdir():
        if (trained / "certificate.json").exists() and not (cache / trained.name).exists():
            shutil.copytree(trained, cache / trained.name)


def build_models(epoch, cache, limit: int = 3):
    """Selection (the ranking), search, build: ``(selection, search, models by rank)``."""
    train(epoch, cache)
    selection = selection_create(epoch=epoch, name="top", size=2)
    search, job = search_initialize(selection=selection, chunk_size=50, inline=True)
    assert run_inline(job).status == JobStatus.SUCCEEDED
    search.refresh_from_db()
    assert run_tree_inline(search_find_enqueue(search=search, inline=True)).status == JobStatus.SUCCEEDED
    search.refresh_from_db()
    assert run_inline(models_build_enqueue(search=search, limit=limit, inline=True)).status == JobStatus.SUCCEEDED
    search.refresh_from_db()
    return selection, search, list(PredictionModel.objects.filter(search=search).order_by("rank"))


def months_ms(first: str, last: str) -> tuple[int, int]:
    return range_of_dates(first, last)
