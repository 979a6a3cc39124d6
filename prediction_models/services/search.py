"""Searches: freeze the config space, build the assets, run the space in chunks."""

from __future__ import annotations

import dataclasses
import functools
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from cluster.jobs import JobCancelled, JobFailed
from cluster.services.jobs import job_enqueue
from cluster.services.remote_jobs import PYTHON, RemoteRun, run_remote
from core.cores import usable_cores
from core.errors import ApplicationError
from core.files import read_json, sha256_file, write_json
from epochs.engine.layout import EpochLayout
from epochs.services.pages import epoch_disk_usage_record
from epochs.services.paths import epoch_dir, epoch_layout
from prediction_models.choices import SearchStatus
from prediction_models.engine.assets import ASSETS_FILE, export_json, load_assets, save_assets
from prediction_models.engine.metrics import search_minimums_of
from prediction_models.engine.overfitting import OverfittingAccumulator, feature_day_permutation, null_pass_rates
from prediction_models.engine.ranking import pbo_ranking
from prediction_models.engine.trading import BacktestSettings
from prediction_models.features import features_file, regression_shape
from prediction_models.models import ConfigChunk, PredictionModelSearch, ProfitableConfig
from prediction_models.search_space import (
    SPEC_FILE,
    SearchSpace,
    evaluate_range,
    overfitting_accumulator,
    overfitting_partial_write,
    search_space,
    search_spec,
)
from prediction_models.services import paths
from prediction_models.services.periods import period_assets, search_ranges
from regressions.models import RegressionSelection

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from django.contrib.auth.models import User

    from cluster.jobs.parent import ParentJob
    from cluster.models import Job
    from epochs.models import Epoch

DEFAULT_CHUNK_SIZE = 20_000
# A chunk on a cluster server reads assets.npz and the spec only: the holdout period, the
# predicted features and the JSON export of the assets stay here.
NOT_SENT_TO_SERVERS = ("holdout", "features", "features.json", "labels.json", "lookback_indexer.json")


# ---------------------------------------------------------------------------- initialise


@transaction.atomic
def search_initialize(
    *,
    selection: RegressionSelection,
    user: User | None = None,
    regressions_per_model: list[int] | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    inline: bool = False,
) -> tuple[PredictionModelSearch, object]:
    """Create a search of ``selection`` with the epoch's config-space settings; queue its assets job."""
    epoch = selection.epoch
    if not epoch.is_ready:
        raise ApplicationError(f"Epoch {epoch.id} is not ready.")
    ids = list(selection.regression_ids)
    sizes = [int(r) for r in (regressions_per_model or epoch.regressions_per_model)]
    if not sizes or min(sizes) < 1:
        raise ApplicationError(f"Regressions per model must be positive, got {sizes}.")
    if len(ids) < max(sizes):
        raise ApplicationError(
            f"Selection {selection.name!r} holds {len(ids)} regressions; a model takes {max(sizes)}."
        )
    if chunk_size < 1:
        raise ApplicationError("The chunk size must be positive.")
    search = PredictionModelSearch(
        epoch=epoch,
        selection=selection,
        regression_ids=ids,
        regressions_per_model=sizes,
        price_change_requirements=list(epoch.price_change_requirements),
        min_sum_functions=list(epoch.min_sum_functions),
        min_sum_adjustment_factors=list(epoch.min_sum_adjustment_factors),
        **search_minimums_of(epoch),
        ranking=epoch.ranking,
        null_baseline_seeds=epoch.null_baseline_seeds,
        chunk_size=chunk_size,
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    try:
        space = search_space(search)
    except ValueError as exc:
        raise ApplicationError(f"Invalid config space: {exc}") from None
    search.total_configs = len(space)
    search.save()
    return search, search_initialize_enqueue(search=search, user=user, inline=inline)


def search_initialize_enqueue(*, search: PredictionModelSearch, user: User | None = None, inline: bool = False) -> Job:
    return job_enqueue(
        kind="prediction_models.initialize",
        target=search,
        user=user,
        inline=inline,
        dedup_key=f"pm-initialize-{search.pk}",
    )


def features_argvs(*, search: PredictionModelSearch, parts: int = 1) -> list[list[str]]:
    """The child processes that predict every regression's features (Keras stays out of the
    worker), the regressions shared among ``parts`` of them that run at once."""
    ranges = search_ranges(search.epoch)
    holdout = ["--holdout-row", str(ranges.holdout_row)] if ranges.has_holdout else []
    ids = list(search.regression_ids)
    parts = max(1, min(parts, len(ids)))
    return [
        [
            sys.executable,
            str(Path(settings.BASE_DIR) / "manage.py"),
            "predict_features",
            "--epoch-dir",
            str(epoch_dir(search.epoch_id)),
            "--out",
            str(paths.features_dir(search)),
            "--test-row",
            str(ranges.test_row),
            *holdout,
            "--threads",
            str(settings.TRAINING_THREADS),
            *ids[part::parts],
        ]
        for part in range(parts)
    ]


def feature_processes() -> int:
    """How many processes predict the features at once: one per core (the stage runs alone)."""
    return usable_cores()


def search_assets_build(*, search: PredictionModelSearch) -> dict:
    """Labels and the lookback indexer of both periods from the predicted features; saves the assets."""
    epoch = search.epoch
    shapes = {rid: regression_shape(epoch_dir(epoch.id), rid) for rid in search.regression_ids}
    if len(set(shapes.values())) != 1:
        raise ApplicationError(f"The selected regressions differ in lookback/predictions: {shapes}")
    lookback, predictions = next(iter(shapes.values()))
    features = {rid: np.load(features_file(paths.features_dir(search), rid)) for rid in search.regression_ids}
    selection, holdout, sel_period, hold_period = period_assets(
        epoch, features, [float(p) for p in search.price_change_requirements], lookback, predictions
    )
    path = save_assets(selection, paths.assets_dir(search))
    if holdout is not None:
        save_assets(holdout, paths.holdout_assets_dir(search))
    search.mark_ready(assets_sha256=sha256_file(path))
    epoch_disk_usage_record(epoch=search.epoch_id)
    return {
        "features": selection.features_num,
        "holdout_features": holdout.features_num if holdout else 0,
        "minutes": len(selection.minutes),
        "selection": [sel_period.start, sel_period.end],
        "holdout": [hold_period.start, hold_period.end] if hold_period else None,
    }


def search_assets_run(
    *,
    search: PredictionModelSearch,
    predict_features: Callable[[list[list[str]]], object],
    log: Callable[[str], None] = lambda message: None,
) -> dict:
    """The initialisation: predict the features (``predict_features`` runs the child processes at once), build the assets.

    A refusal or a failed child marks the search failed; a cancel leaves it new, to start again.
    """
    if not search.mark_initialising():
        search.refresh_from_db(fields=["status"])
        raise ApplicationError(
            f"Search #{search.pk} is {search.get_status_display().lower()}: "
            "its assets stay those its results were found with."
        )
    try:
        log(f"predicting the features of {len(search.regression_ids)} regressions")
        predict_features(features_argvs(search=search, parts=feature_processes()))
        log("building labels and the lookback indexer")
        return search_assets_build(search=search)
    except ApplicationError as exc:
        search.mark_failed(error=exc.message)
        raise
    except JobFailed as exc:
        search.mark_failed(error=str(exc))
        raise
    except JobCancelled:
        search.mark_new()
        raise


def assets_export_json(*, search: PredictionModelSearch) -> list[str]:
    """The original's features.json, labels.json and lookback_indexer.json of the selection period."""
    directory = paths.assets_dir(search)
    if not (directory / ASSETS_FILE).exists():
        raise ApplicationError(f"Search #{search.pk} has no assets yet.")
    return [str(p) for p in export_json(load_assets(directory), directory)]


# ---------------------------------------------------------------------------- find


def search_find_enqueue(*, search: PredictionModelSearch, user: User | None = None, inline: bool = False) -> Job:
    if search.status not in (SearchStatus.READY, SearchStatus.SEARCHING, SearchStatus.SEARCHED, SearchStatus.BUILT):
        raise ApplicationError(f"Search #{search.pk} is {search.get_status_display().lower()}; build its assets first.")
    chunks_ensure(search=search)
    return job_enqueue(
        kind="prediction_models.find", target=search, user=user, inline=inline, dedup_key=f"pm-find-{search.pk}"
    )


@transaction.atomic
def chunks_ensure(*, search: PredictionModelSearch) -> int:
    """One ConfigChunk per ``chunk_size`` configs (a chunk never straddles two regression counts)."""
    existing = set(search.chunks.values_list("index", flat=True))
    bounds = search_space(search).chunks(search.chunk_size)
    ConfigChunk.objects.bulk_create(
        [
            ConfigChunk(search=search, index=i, start=start, stop=stop)
            for i, (start, stop) in enumerate(bounds)
            if i not in existing
        ]
    )
    return len(bounds)


def chunk_specs(*, search: PredictionModelSearch) -> list[dict]:
    return [
        {
            "kind": "prediction_models.search_chunk",
            "params": {"chunk_id": chunk.pk},
            "target": search,
            "dedup_key": f"chunk-{chunk.index}",
        }
        for chunk in search.chunks.filter(done=False).order_by("index")
    ]


@functools.lru_cache(maxsize=2)
def _loaded(directory: str, sha256: str) -> tuple:
    """Assets and their market tables, kept while a worker runs the chunks of one search."""
    assets = load_assets(directory)
    return assets, {}


def backtest_settings(epoch: Epoch) -> BacktestSettings:
    return BacktestSettings.of_epoch(epoch)


def chunk_spec(search: PredictionModelSearch) -> dict:
    b = backtest_settings(search.epoch)
    return search_spec(
        search,
        {
            "position_size": b.position_size,
            "leverage": b.leverage,
            "exchange_fee": b.exchange_fee,
            "idle_minutes": b.idle_minutes,
        },
        overfitting={
            "blocks": settings.OVERFITTING_PBO_BLOCKS,
            "reps": settings.OVERFITTING_SPA_REPS,
            "seed": int(search.epoch.seed),
        },
    )


def chunk_run(
    *,
    chunk: ConfigChunk,
    progress: Callable[[int, int, str], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> dict:
    """Evaluate one chunk on the selection period and record it; a done chunk is skipped."""
    if chunk.done:
        return {"chunk": chunk.index, "skipped": "done already"}
    search = chunk.search
    search.mark_searching()
    assets, markets = _loaded(str(paths.assets_dir(search)), search.assets_sha256)
    started = time.monotonic()

    def report(evaluated: int, total: int, found_here: int) -> None:
        if progress:
            rate = evaluated / max(time.monotonic() - started, 1e-6)
            progress(evaluated, total, progress_message(search, rate, found_here))

    # On SearchCancelled nothing of this chunk is recorded: a re-run evaluates it whole.
    spec = chunk_spec(search)
    accumulator, _days = overfitting_accumulator(assets, spec["overfitting"])
    found = evaluate_range(
        assets,
        spec,
        chunk.start,
        chunk.stop,
        markets=markets,
        progress=report,
        should_stop=should_stop,
        accumulator=accumulator,
    )
    # Written before the chunk is marked done: a done chunk always has its partial.
    if accumulator is not None:
        overfitting_partial_write(epoch_layout(search.epoch_id).chunk_overfitting(search.pk, chunk.index), accumulator)
    return chunk_record(chunk=chunk, found=found, space=search_space(search), seconds=time.monotonic() - started)


def search_find_step(*, search: PredictionModelSearch, parent: ParentJob) -> object:
    """One turn of the find job: split the space into chunks, search each in a child job and
    wait for them; once all have ended, finish the search (it can be built from then on), then
    run the null baseline's searches (one child job per seed) and wait for them too."""
    chunks_ensure(search=search)
    specs = chunk_specs(search=search)
    if specs:
        parent.spawn(specs)
    if parent.children_active():
        parent.log(f"{len(specs)} chunks to search")
        return parent.wait
    if "found" not in parent.state:
        parent.save_state(found=search_find_finish(search=search))
    null = null_baseline_specs(search=search)  # those without a result (a failed one is not run twice)
    if null:
        parent.spawn(null)
        if parent.children_active():
            parent.log(f"{len(null)} null-baseline searches")
            return parent.wait
    search.refresh_from_db(fields=["null_baseline", "overfitting"])
    return {**parent.state["found"], "null_pass_rate": (search.overfitting or {}).get("null_pass_rate")}


def chunk_run_on_server(run: RemoteRun, *, chunk: ConfigChunk) -> dict:
    """Evaluate a chunk on the job's cluster server, pull its result back (verified) and record it."""
    if chunk.done:
        return {"chunk": chunk.index, "skipped": "done already"}
    search = chunk.search
    search.mark_searching()
    local_assets = paths.assets_dir(search)
    write_json(local_assets / SPEC_FILE, chunk_spec(search), indent=2)
    remote = EpochLayout.on_server(search.epoch_id)
    remote_assets, remote_out = str(remote.search_assets(search.pk)), str(remote.chunk_dir(search.pk, chunk.index))
    local_out = epoch_layout(search.epoch_id).chunk_dir(search.pk, chunk.index)
    started = time.monotonic()
    run_remote(
        run,
        argv=[
            PYTHON,
            "manage.py",
            "search_chunk",
            "--assets-dir",
            f"../{remote_assets}",
            "--start",
            str(chunk.start),
            "--stop",
            str(chunk.stop),
            "--out",
            f"../{remote_out}/found.json",
        ],
        push=[(local_assets, remote_assets, NOT_SENT_TO_SERVERS)],
        pull=[(remote_out, local_out)],
    )
    found = [(int(index), summary) for index, summary in read_json(local_out / "found.json")]
    return chunk_record(chunk=chunk, found=found, space=search_space(search), seconds=time.monotonic() - started)


def progress_message(search: PredictionModelSearch, rate: float, found_here: int) -> str:
    search.refresh_from_db(fields=["configs_evaluated", "profitable_found", "total_configs"])
    left = max(0, search.total_configs - search.configs_evaluated)
    return (
        f"{rate:,.0f} configs/s · {search.profitable_found + found_here} profitable so far · "
        f"~{format_seconds(left / rate if rate > 0 else 0)} left"
    )


def format_seconds(seconds: float) -> str:
    seconds = int(seconds)
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


@transaction.atomic
def chunk_record(*, chunk: ConfigChunk, found: list[tuple[int, dict]], space: SearchSpace, seconds: float) -> dict:
    """Record a chunk's profitable configs and mark it done, in one transaction (once only)."""
    locked = ConfigChunk.objects.select_for_update().get(pk=chunk.pk)
    if locked.done:
        return {"chunk": chunk.index, "skipped": "done already"}
    rows = []
    for index, summary in found:
        minified = space.minified(index)
        rows.append(
            ProfitableConfig(
                search_id=chunk.search_id,
                config_index=index,
                regression_ids=minified["ri"],
                price_change_requirement=minified["pcr"],
                min_sum_function=minified["msf"],
                min_sum_adjustment_factor=minified["msaf"],
                profit=summary["profit"],
                accuracy=summary["accuracy"],
                positions=summary["positions"],
                largest_drawdown=summary["largest_balance_drawdown"],
                final_balance=summary["final_balance"],
            )
        )
    # The unique (search, config_index) constraint makes a second recording of a config a no-op.
    ProfitableConfig.objects.bulk_create(rows, ignore_conflicts=True)
    evaluated = chunk.stop - chunk.start
    ConfigChunk.objects.filter(pk=chunk.pk).update(
        done=True, evaluated=evaluated, profitable=len(rows), seconds=seconds, finished=_now()
    )
    PredictionModelSearch.objects.filter(pk=chunk.search_id).update(
        configs_evaluated=F("configs_evaluated") + evaluated,
        search_seconds=F("search_seconds") + seconds,
        profitable_found=ProfitableConfig.objects.filter(search_id=chunk.search_id).count(),
    )
    return {"chunk": chunk.index, "evaluated": evaluated, "profitable": len(rows), "seconds": round(seconds, 3)}


def _now() -> datetime:
    return timezone.now()


def search_find_finish(*, search: PredictionModelSearch) -> dict:
    pending = search.chunks.filter(done=False).count()
    if pending:
        raise ApplicationError(
            f"{pending} chunks of search #{search.pk} are not done; run the search again to finish them."
        )
    summary = search_overfitting_summary(search=search)
    PredictionModelSearch.objects.filter(pk=search.pk).update(overfitting=summary)
    search.mark_searched()
    search.refresh_from_db()
    return {
        "configs": search.total_configs,
        "evaluated": search.configs_evaluated,
        "profitable": search.profitable_found,
        "seconds": round(search.search_seconds, 3),
    }


def search_overfitting_summary(*, search: PredictionModelSearch) -> dict | None:
    """The chunks' partials merged in chunk order, finished into ``OverfittingSummary.as_dict()``;
    None when a chunk has none (searched before the statistics existed)."""
    layout = epoch_layout(search.epoch_id)
    accumulator = None
    for index in search.chunks.order_by("index").values_list("index", flat=True):
        path = layout.chunk_overfitting(search.pk, index)
        if not path.exists():
            return None
        with np.load(path) as data:
            partial = dict(data)
        if accumulator is None:
            accumulator = OverfittingAccumulator.from_partial(partial)
        else:
            accumulator.merge_partial(partial)
    if accumulator is None:
        return None
    return with_null_baseline(accumulator.summary(ranking=pbo_ranking(search.ranking)).as_dict(), search)


# ---------------------------------------------------------------------------- null baseline


def null_baseline_seeds(search: PredictionModelSearch) -> list[int]:
    """The seeds of the search's day permutations: 1..n (each mixed with the epoch's seed)."""
    return list(range(1, int(search.null_baseline_seeds) + 1))


def null_baseline_specs(*, search: PredictionModelSearch) -> list[dict]:
    """A child job per seed whose null search has no result yet (none for a search without statistics)."""
    if not search.overfitting:
        return []
    return [
        {
            "kind": "prediction_models.null_baseline",
            "params": {"seed": seed},
            "target": search,
            "dedup_key": f"null-{seed}",
        }
        for seed in null_baseline_seeds(search)
        if str(seed) not in (search.null_baseline or {})
    ]


def with_null_baseline(summary: dict, search: PredictionModelSearch) -> dict:
    """The summary with the null baseline's figures: ``null_pass_rate`` (the mean over the seeds,
    None until all have run), ``null_pass_rates`` (per seed) and ``null_seeds``."""
    seeds = null_baseline_seeds(search)
    mean, rates = null_pass_rates(search.null_baseline or {}, seeds)
    return {**summary, "null_pass_rate": mean, "null_pass_rates": rates, "null_seeds": seeds}


def null_baseline_run(
    *,
    search: PredictionModelSearch,
    seed: int,
    progress: Callable[[int, int, str], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> dict:
    """The whole config space searched with the same thresholds on skill-less features: every
    regression's feature rows moved by one seeded permutation of whole days (the same for all,
    so their correlation survives); prices and labels stay. Records the pass rate on the search."""
    if str(seed) in (search.null_baseline or {}):
        return {"seed": seed, "skipped": "done already", **search.null_baseline[str(seed)]}
    assets, _markets = _loaded(str(paths.assets_dir(search)), search.assets_sha256)
    order = feature_day_permutation(
        assets.minutes.ot, assets.lookback_indexer, assets.features_num, int(search.epoch.seed) * 1000 + int(seed)
    )
    permuted = dataclasses.replace(assets, features=np.ascontiguousarray(assets.features[:, order]))
    space = search_space(search)
    started = time.monotonic()

    def report(evaluated: int, total: int, found_here: int) -> None:
        if progress:
            progress(evaluated, total, f"null baseline, seed {seed}: {found_here} pass so far")

    found = evaluate_range(
        permuted, chunk_spec(search), 0, len(space), markets={}, progress=report, should_stop=should_stop
    )
    record = {
        "configs": len(space),
        "passed": len(found),
        "pass_rate": len(found) / len(space) if len(space) else None,
        "seconds": round(time.monotonic() - started, 3),
    }
    null_baseline_record(search=search, seed=seed, record=record)
    return {"seed": seed, **record}


@transaction.atomic
def null_baseline_record(*, search: PredictionModelSearch, seed: int, record: dict) -> None:
    """One seed's null result, and the search's summary updated with it (rows locked: seeds end in any order)."""
    locked = PredictionModelSearch.objects.select_for_update().get(pk=search.pk)
    locked.null_baseline = {**(locked.null_baseline or {}), str(seed): record}
    fields = ["null_baseline"]
    if locked.overfitting:
        locked.overfitting = with_null_baseline(locked.overfitting, locked)
        fields.append("overfitting")
    locked.save(update_fields=fields)
    search.null_baseline, search.overfitting = locked.null_baseline, locked.overfitting
