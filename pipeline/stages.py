"""The pipeline's stages, each declared once: key, title, the job that makes it, how to tell it is
done, what it shows and its next action (a URL name).

The pipeline overview (``pipeline.epoch_pipeline``), the demo (which runs them in this order)
and the README's table of stages (checked by a test) all read ``STAGES``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cluster.choices import ACTIVE_STATUSES, JobStatus
from core.files import human_size
from epochs.choices import EpochStatus
from epochs.models import EpochExport
from prediction_models.choices import SearchStatus
from prediction_models.models import PredictionModel, PredictionModelSearch
from regressions.choices import RegressionStatus
from regressions.models import Regression, RegressionSelection

DONE, ACTIVE, TODO, FAILED = "done", "active", "todo", "failed"  # a stage's states


class Facts:
    """What the stages of one epoch are judged by, each read once (lazily) from the database."""

    def __init__(self, epoch) -> None:
        self.epoch = epoch
        self._cache: dict[str, Any] = {}

    def _once(self, name: str, read: Callable[[], Any]) -> Any:
        if name not in self._cache:
            self._cache[name] = read()
        return self._cache[name]

    @property
    def candle_set(self):
        return self.epoch.candlestick_set

    @property
    def ready(self) -> bool:
        return self.epoch.status in (EpochStatus.READY, EpochStatus.EXPORTED)

    @property
    def failed(self) -> bool:
        return self.epoch.status == EpochStatus.FAILED

    @property
    def batches(self) -> list:
        return self._once("batches", lambda: list(self.epoch.batches.all()))

    @property
    def configs(self) -> int:
        return self._once("configs", lambda: self.epoch.regression_configs.count())

    @property
    def trained(self) -> int:
        return self._once(
            "trained", lambda: Regression.objects.filter(epoch=self.epoch, status=RegressionStatus.TRAINED).count()
        )

    @property
    def regressions(self) -> int:
        return self._once("regressions", lambda: Regression.objects.filter(epoch=self.epoch).count())

    @property
    def selection(self):
        return self._once(
            "selection", lambda: RegressionSelection.objects.filter(epoch=self.epoch).order_by("-created").first()
        )

    @property
    def search(self):
        return self._once(
            "search", lambda: PredictionModelSearch.objects.filter(epoch=self.epoch).order_by("-created").first()
        )

    @property
    def assets_ready(self) -> bool:
        return bool(
            self.search and self.search.status not in (SearchStatus.NEW, SearchStatus.INITIALISING, SearchStatus.FAILED)
        )

    @property
    def searched(self) -> bool:
        return bool(self.search and self.search.status in (SearchStatus.SEARCHED, SearchStatus.BUILT))

    @property
    def models(self):
        return self._once("models", lambda: PredictionModel.objects.filter(search__epoch=self.epoch).order_by("rank"))

    @property
    def best(self):
        return self._once("best", lambda: self.models.first())

    @property
    def export(self):
        return self._once("export", lambda: EpochExport.objects.filter(epoch=self.epoch).order_by("-created").first())


def is_active(job) -> bool:
    return job is not None and job.status in ACTIVE_STATUSES


@dataclass(frozen=True)
class Action:
    """The next action of a stage: a POST to the API URL ``url_name`` with ``kwargs`` and ``body``."""

    label: str  # formatted with the body ("Select the top {size}")
    url_name: str
    kwargs: Callable[[Facts], dict] = lambda f: {}
    body: Callable[[Facts], dict] = lambda f: {}
    available: Callable[[Facts, Any], bool] = lambda f, job: False  # (facts, the stage's latest job)


@dataclass(frozen=True)
class StageSpec:
    key: str
    title: str
    job_kind: str | None  # the top-level job that makes the stage (None: made at once, no job)
    job_targets: Callable[[Facts], list]  # the objects that job targets
    done: Callable[[Facts], bool]
    detail: Callable[[Facts], str]
    command: str  # the command line that runs it (the README's table)
    summary: str  # what it does (the README's table)
    link: Callable[[Facts], tuple[str, dict, dict] | None] = lambda f: None  # (page URL name, kwargs, query)
    action: Action | None = None
    failed: Callable[[Facts], bool] = lambda f: False  # failed whatever its job says
    job_states: tuple[str, ...] = (ACTIVE, FAILED)  # what its latest job can show while it is not done


def _epoch_detail(f: Facts) -> str:
    epoch = f.epoch
    if f.failed:  # the real reason, not a count of candles that were never built
        return f"failed: {epoch.error or 'see its job'}"
    detail = f"{epoch.status}: {epoch.prediction_rows or 0} prediction candles of {epoch.prediction_interval} minutes"
    if epoch.gaps:
        detail += f", {epoch.gaps.get('count', 0)} gaps ({epoch.gaps.get('missing_minutes', 0)} minutes)"
    return detail


def _selection_size(f: Facts) -> int:
    return min(20, f.trained)


STAGES: tuple[StageSpec, ...] = (
    StageSpec(
        "candles",
        "Candles",
        "epochs.import_candles",
        lambda f: [f.candle_set],
        done=lambda f: bool(f.candle_set.candles),
        detail=lambda f: (
            f"{f.candle_set.candles:,} candles in {f.candle_set.months} months, {f.candle_set.gap_count} gaps"
        ),
        link=lambda f: ("candles", {}, {}),
        job_states=(),
        command="import_candlesticks --from 2020-01 --to 2024-12 [--source URL-or-folder]",
        summary="imports Binance's monthly (and, for the current month, daily) 1-minute klines, checksum-verified and "
        "validated, into a parquet store; resumable and incremental. `--bundle PATH` imports the original "
        "tool's `candlesticks/` bundle",
    ),
    StageSpec(
        "epoch",
        "Epoch",
        "epochs.create",
        lambda f: [f.epoch],
        done=lambda f: f.ready,
        detail=_epoch_detail,
        failed=lambda f: f.failed,
        command="create_epoch --id _EROS3 [--epoch_width 48 ...]",
        summary="trims, smooths and normalises the candles, writes `epoch.json` and the receipt; every parameter of the "
        "original with its defaults, plus the prediction interval (15 or 30 minutes), the purge and the holdout "
        "share; `--preset original` reproduces the original tool exactly",
    ),
    StageSpec(
        "configs",
        "Regression configs",
        "regressions.generate_configs",
        lambda f: [f.epoch],
        done=lambda f: bool(f.batches),
        detail=lambda f: f"{f.configs} configs in {len(f.batches)} batches (profile {f.epoch.regression_grid_profile})",
        link=lambda f: ("regression-home", {}, {"epoch": f.epoch.pk}),
        action=Action(
            "Generate configs",
            "training-batch-generate",
            kwargs=lambda f: {"epoch_id": f.epoch.pk},
            available=lambda f, job: f.ready and not f.batches and not is_active(job),
        ),
        command="generate_regression_training_configs --epoch _EROS3 [--profile original]",
        summary="the hyper-parameter grid (`original`: 1,220 configs in 54 batches; `smoke`: 14 tiny models for demos "
        "and tests; profiles are JSON files)",
    ),
    StageSpec(
        "training",
        "Training",
        "regressions.train_batch",
        lambda f: f.batches,
        done=lambda f: bool(f.regressions) and f.trained == f.regressions,
        job_states=(ACTIVE,),
        detail=lambda f: f"{f.trained} of {f.regressions} regressions trained",
        link=lambda f: ("regression-home", {}, {"epoch": f.epoch.pk}),
        action=Action(
            "Train all batches",
            "training-batch-train-all",
            kwargs=lambda f: {"epoch_id": f.epoch.pk},
            available=lambda f, job: bool(f.batches) and f.trained < f.regressions and not is_active(job),
        ),
        command="train_regression_batch --epoch _EROS3 --batch KR_DNN_1_2",
        summary="one child job per regression, trained one after another by each worker's warm TensorFlow process "
        "(or, with `TRAINING_WARM_PROCESS=false`, each in a fresh one: the same files either way); a killed training "
        "resumes from its last epoch checkpoint with identical results",
    ),
    StageSpec(
        "selection",
        "Selection",
        None,
        lambda f: [],
        done=lambda f: f.selection is not None,
        job_states=(),
        detail=lambda f: f"“{f.selection.name}”: {f.selection.size} regressions" if f.selection else "no selection yet",
        link=lambda f: ("regression-selection", {"pk": f.selection.pk}, {}) if f.selection else None,
        action=Action(
            "Select the top {size}",
            "regression-selection-list",
            body=lambda f: {"epoch": f.epoch.pk, "name": f"top-{_selection_size(f)}", "size": _selection_size(f)},
            available=lambda f, job: f.selection is None and f.trained >= max(f.epoch.regressions_per_model or [8]),
        ),
        command="API `POST /api/regression-selections/` or the Regressions page",
        summary="ranks the trained regressions (discovery accuracy, points, test loss, minimum counts) and saves the "
        "chosen ones",
    ),
    StageSpec(
        "assets",
        "Prediction-model assets",
        "prediction_models.initialize",
        lambda f: [f.search] if f.search else [],
        done=lambda f: f.assets_ready,
        detail=lambda f: (
            f"search #{f.search.pk}: {f.search.total_configs:,} configs" if f.search else "not initialised"
        ),
        link=lambda f: ("prediction-model-search", {"pk": f.search.pk}, {}) if f.search else None,
        action=Action(
            "Initialise",
            "prediction-model-search-list",
            body=lambda f: {"selection": f.selection.pk},
            available=lambda f, job: f.selection is not None and f.search is None,
        ),
        command="initialize_prediction_models --selection <id>",
        summary="the features of every selected regression over the test range and the searchable config space",
    ),
    StageSpec(
        "search",
        "Profitable search",
        "prediction_models.find",
        lambda f: [f.search] if f.search else [],
        done=lambda f: f.searched,
        detail=lambda f: (
            f"{f.search.configs_evaluated:,} evaluated, {f.search.profitable_found:,} profitable" if f.search else ""
        ),
        link=lambda f: ("prediction-model-search", {"pk": f.search.pk}, {}) if f.search else None,
        action=Action(
            "Find profitable configs",
            "prediction-model-search-find",
            kwargs=lambda f: {"pk": f.search.pk},
            available=lambda f, job: f.assets_ready and not f.searched and not is_active(job),
        ),
        command="find_profitable_configs --search <id>",
        summary="the chunked search of the config space on the selection period, kept by accuracy and profit",
    ),
    StageSpec(
        "build",
        "Build",
        "prediction_models.build",
        lambda f: [f.search] if f.search else [],
        done=lambda f: f.best is not None,
        detail=lambda f: (
            f"{f.models.count()} models; best {f.best.id} (profit {f.best.profit:.2f})" if f.best else "no models yet"
        ),
        link=lambda f: ("prediction-model-detail", {"pk": f.best.pk}, {}) if f.best else None,
        action=Action(
            "Build prediction models",
            "prediction-model-search-build",
            kwargs=lambda f: {"pk": f.search.pk},
            body=lambda f: {"limit": 10},
            available=lambda f, job: f.searched and f.best is None and bool(f.search.profitable_found),
        ),
        command="build_prediction_models --search <id>",
        summary="the certificates of the best profitable configs, with the holdout backtest beside the selection's",
    ),
    StageSpec(
        "export",
        "Epoch File",
        "epochs.export",
        lambda f: [f.epoch],
        done=lambda f: f.export is not None and f.export.verified,
        detail=lambda f: (
            f"{f.export.file_name} ({human_size(f.export.size)}), verified"
            if f.export and f.export.verified
            else "not exported"
        ),
        link=lambda f: ("epoch-download-page", {"pk": f.epoch.pk}, {}) if f.export else None,
        action=Action(
            "Export the best model",
            "epoch-export",
            kwargs=lambda f: {"pk": f.epoch.pk},
            body=lambda f: {"prediction_model_id": f.best.id, "confirm_interval": f.epoch.prediction_interval != 15},
            available=lambda f, job: f.best is not None and f.export is None and not is_active(job),
        ),
        command="export_epoch --epoch _EROS3 --model <id>",
        summary="the Epoch File `<EPOCH_ID>.zip`, verified as Epoca would read it",
    ),
)
STAGE_KEYS: tuple[str, ...] = tuple(s.key for s in STAGES)
STAGE_BY_KEY: dict[str, StageSpec] = {s.key: s for s in STAGES}
FAILED_JOB_STATUSES = (JobStatus.FAILED, JobStatus.CANCELLED)
