"""What the model page shows that lives in files: read here, so the view reads none."""

from __future__ import annotations

import dataclasses
import functools

from prediction_models import selectors
from prediction_models.engine import report
from prediction_models.engine.assets import ASSETS_FILE, Candles, load_assets
from prediction_models.engine.ebe import prediction_model_evaluation
from prediction_models.engine.equity import Equity, equity_curve
from prediction_models.models import PredictionModel, PredictionModelSearch
from prediction_models.services import files as certificate_files
from prediction_models.services import paths
from prediction_models.services.forward_tests import forward_test_dir
from prediction_models.services.search import format_seconds


@dataclasses.dataclass(frozen=True)
class Period:
    """One period a model was traded on: the selection, the holdout or a forward test."""

    name: str
    backtest: dict
    start: int
    end: int
    minutes: Candles  # the period's 1-minute candles (the charts' time axis)
    record: dict  # the certificate part or the forward test's record: discovery, metrics, rows

    @functools.cached_property
    def equity(self) -> Equity:
        """The closed and the mark-to-market balance at every minute of the period."""
        return equity_curve(self.backtest, self.minutes, self.start, self.end)

    @property
    def drawdowns(self) -> dict:
        """The certificate's figure (original §7.4, signed) and each curve's deepest point (≤ 0), in %."""
        return {
            "certificate": self.backtest["largest_balance_drawdown"],
            "closed": self.equity.largest_closed_drawdown,
            "marked": self.equity.largest_marked_drawdown,
        }


def model_periods(model: PredictionModel) -> tuple[dict, list[Period]]:
    """The model's certificate and every period with its assets' minutes: selection, holdout, forward tests."""
    cert = certificate_files.model_certificate(model)
    periods = [
        Period(
            "selection",
            cert["backtest"],
            cert["test_ds_start"],
            cert["test_ds_end"],
            load_assets(paths.assets_dir(model.search)).minutes,
            cert,
        )
    ]
    holdout = cert.get("holdout")
    if holdout and (paths.holdout_assets_dir(model.search) / ASSETS_FILE).exists():
        periods.append(
            Period(
                "holdout",
                holdout["backtest"],
                holdout["test_ds_start"],
                holdout["test_ds_end"],
                load_assets(paths.holdout_assets_dir(model.search)).minutes,
                holdout,
            )
        )
    for forward_test in selectors.forward_tests_of(model):
        record = certificate_files.forward_test_record(forward_test)
        folder = forward_test_dir(forward_test)
        if record and (folder / ASSETS_FILE).exists():
            periods.append(
                Period(
                    f"forward test #{forward_test.pk}",
                    record["backtest"],
                    record["start"],
                    record["end"],
                    load_assets(folder).minutes,
                    record,
                )
            )
    return cert, periods


def model_evaluation(model: PredictionModel) -> dict:
    """The Epoch Builder Evaluation of the model's certificate (EPOCA_CONTRACT.md §5.1)."""
    return prediction_model_evaluation(certificate_files.model_certificate(model))


@dataclasses.dataclass(frozen=True)
class ReportPeriod:
    """One period of the backtest report: its backtest, metrics, trades, sides and monthly returns."""

    name: str
    backtest: dict
    metrics: dict
    trades: list
    sides: dict
    monthly: list


def model_report(model: PredictionModel) -> tuple[dict, dict, list[ReportPeriod]]:
    """The model's certificate, its evaluation, and the report of the selection and holdout periods."""
    cert = certificate_files.model_certificate(model)
    periods = [("selection", cert["backtest"], cert.get("metrics") or {})]
    if cert.get("holdout"):
        periods.append(("holdout", cert["holdout"]["backtest"], cert["holdout"].get("metrics") or {}))
    return (
        cert,
        prediction_model_evaluation(cert),
        [
            ReportPeriod(name, bt, metrics, report.trades(bt), report.sides(bt), report.monthly_returns(bt))
            for name, bt, metrics in periods
        ],
    )


def model_trades_csv(model: PredictionModel, period: str) -> str | None:
    """The trade list of one period as CSV; None when the model has no such period."""
    cert = certificate_files.model_certificate(model)
    if period == "holdout" and not cert.get("holdout"):
        return None
    return report.trades_csv(cert["holdout"]["backtest"] if period == "holdout" else cert["backtest"])


MAX_COMPARED = 20


def compared_models(ids: list[str]) -> tuple[list[PredictionModel], list[dict], list[str]]:
    """The models of ``ids`` (in their order, at most ``MAX_COMPARED``), their certificates, and the ids not found."""
    ids = list(dict.fromkeys(ids))[:MAX_COMPARED]
    found = {m.id: m for m in selectors.with_done_forward_tests(selectors.model_list()).filter(id__in=ids)}
    models = [found[i] for i in ids if i in found]
    return models, [certificate_files.model_certificate(m) for m in models], [i for i in ids if i not in found]


def search_progress(search: PredictionModelSearch) -> dict:
    """How fast a search evaluates its configs and how long it has left."""
    rate = search.configs_evaluated / search.search_seconds if search.search_seconds else 0
    return {
        "rate": rate,
        "time_left": format_seconds((search.total_configs - search.configs_evaluated) / rate) if rate else "—",
        "chunks_done": search.chunks.filter(done=True).count(),
        "chunks_total": search.chunks.count(),
    }
