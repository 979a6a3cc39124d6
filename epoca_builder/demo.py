"""The whole pipeline on a small real epoch, stage by stage, ending with a verified Epoch File.

A few months of real candles, a 1-month epoch, the `smoke` grid, the top 8 regressions and 4
regressions per model (70 combinations x 6 = 420 configs). A demo shows the flow, not a
profitable strategy: it accepts every config in the search (accuracy >= 0, profit > -inf), so
that a model is always built and exported, whatever the tiny regressions learned.

Each stage is a job like any other (its page shows it); the demo runs them one after another
in the calling process (a worker for the dashboard's button, or `manage.py demo`).
"""
from __future__ import annotations

from typing import Callable

from django.conf import settings

from cluster.choices import JobStatus
from cluster.jobs.cli import run_inline, run_tree_inline
from epoca_builder.errors import ApplicationError

DEMO_MONTHS = ("2021-01", "2021-03")
DEMO_SELECTION = 8
DEMO_PER_MODEL = 4
# Few training epochs: the 15 tiny regressions train in a couple of minutes on two cores.
DEMO_MAX_EPOCHS = 5
STAGES = ("candles", "epoch", "configs", "training", "selection", "assets", "search", "build", "export")


def demo_epoch_id() -> str:
    from epochs.models import Epoch
    from epochs.services.paths import epoch_dir

    n = 1
    while Epoch.objects.filter(pk=f"_DEMO{n}").exists() or epoch_dir(f"_DEMO{n}").exists():
        n += 1
    return f"_DEMO{n}"


def _ok(job, stage: str):
    if job.status != JobStatus.SUCCEEDED:
        raise ApplicationError(f"demo stopped at {stage}: job #{job.pk} {job.status}: {job.error}")
    return job


def run_demo(*, source: str | None = None, user=None, report: Callable[[int, int, str], None] | None = None) -> dict:
    from epochs.models import EpochExport
    from epochs.services.candles import candle_import_enqueue
    from epochs.services.epochs import epoch_create
    from epochs.services.export import epoch_export_enqueue
    from prediction_models.models import PredictionModel
    from prediction_models.services.build import models_build_enqueue
    from prediction_models.services.search import search_find_enqueue, search_initialize
    from regressions.services.grid import configs_generate_enqueue
    from regressions.services.selection import selection_create
    from regressions.services.training import batch_train_enqueue

    report = report or (lambda done, total, message: None)
    step = iter(range(1, len(STAGES) + 1))

    def advance(message: str) -> None:
        report(next(step), len(STAGES), message)

    candles = _ok(run_inline(candle_import_enqueue(
        start_month=DEMO_MONTHS[0], end_month=DEMO_MONTHS[1], source=source or settings.CANDLESTICK_SOURCE, user=user, inline=True,
    )), "candles")
    advance(f"{candles.result.get('candles_total', 0):,} candles")
    epoch, job = epoch_create(
        candlestick_set=candles.target, user=user, inline=True, id=demo_epoch_id(), epoch_width=1,
        regression_grid_profile="smoke", max_epochs=DEMO_MAX_EPOCHS, patience=2, batch_size=256,
        regressions_per_model=[DEMO_PER_MODEL], min_accuracy=0.0, min_profit=-1e12,
    )
    _ok(run_inline(job), "epoch")
    epoch.refresh_from_db()
    advance(f"epoch {epoch.id}")
    _ok(run_inline(configs_generate_enqueue(epoch=epoch, user=user, inline=True)), "configs")
    advance(f"{epoch.regression_configs.count()} regression configs")
    for batch in epoch.batches.order_by("category", "number"):
        _ok(run_tree_inline(batch_train_enqueue(batch=batch, user=user, inline=True)), f"training {batch.name}")
    advance("regressions trained")
    selection = selection_create(epoch=epoch, name="demo-top", size=DEMO_SELECTION, user=user)
    advance(f"selection of {selection.size}")
    search, job = search_initialize(selection=selection, user=user, chunk_size=200, inline=True)
    _ok(run_inline(job), "assets")
    search.refresh_from_db()
    advance(f"{search.total_configs} configs to search")
    _ok(run_tree_inline(search_find_enqueue(search=search, user=user, inline=True)), "search")
    search.refresh_from_db()
    advance(f"{search.profitable_found} configs kept")
    _ok(run_inline(models_build_enqueue(search=search, limit=5, user=user, inline=True)), "build")
    best = PredictionModel.objects.filter(search=search).order_by("rank").first()
    advance(f"best model {best.id}")
    _ok(run_inline(epoch_export_enqueue(epoch=epoch, prediction_model_id=best.id, user=user, inline=True)), "export")
    export = EpochExport.objects.filter(epoch=epoch).order_by("-created").first()
    advance(f"exported {export.file_name}")
    return {"epoch": epoch.id, "prediction_model": best.id, "epoch_file": export.file_path, "verified": export.verified,
            "sha256": export.sha256}
