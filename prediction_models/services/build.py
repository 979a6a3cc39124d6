"""Build: rank the profitable configs, write certificates and ``build.json`` (ORIGINAL.md §7.6).

Each certificate describes the selection period (``test_ds_start``/``test_ds_end``,
``discovery``, ``backtest``) like the original's, and adds ``holdout`` (the same backtest,
started fresh with the initial balance, on the holdout period with the selection's min sums,
evaluated once after every choice; rows Epoca would refuse, ``refused_rows``, open no position)
and ``metrics`` (buy-and-hold, profit factor, Sharpe ratio, exposure). The ranking reads only
the selection period.
"""

from __future__ import annotations

import hashlib
import time
from typing import TYPE_CHECKING

import numpy as np
from django.db import transaction

from cluster.services.jobs import job_enqueue
from core.errors import ApplicationError
from core.files import read_json, write_json
from epochs.engine.epoch import read_epoch_candles
from epochs.services.pages import epoch_disk_usage_record
from epochs.services.paths import epoch_layout
from prediction_models.choices import SearchStatus
from prediction_models.engine import backtest_reference
from prediction_models.engine.assets import ASSETS_FILE, PredictionModelAssets, load_assets
from prediction_models.engine.backtest import Market, backtest_record
from prediction_models.engine.discovery import discover
from prediction_models.engine.ebe import prediction_model_evaluation
from prediction_models.engine.equity import largest_marked_drawdown
from prediction_models.engine.metrics import certificate_columns
from prediction_models.engine.overfitting import OverfittingSummary, daily_returns, day_starts
from prediction_models.engine.ranking import PROFIT, profit_lcb, rank_order
from prediction_models.engine.report import positions_fingerprint
from prediction_models.engine.trading import TradeConstants, extra_metrics, feature_sums
from prediction_models.models import PredictionModel, PredictionModelSearch, ProfitableConfig
from prediction_models.services import paths
from prediction_models.services.certificates import validate_certificate
from prediction_models.services.periods import Period, periods
from prediction_models.services.search import backtest_settings

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any

    from django.contrib.auth.models import User

    from cluster.models import Job
    from prediction_models.engine.trading import BacktestSettings


def models_build_enqueue(
    *, search: PredictionModelSearch, limit: int, user: User | None = None, inline: bool = False
) -> Job:
    if search.status not in (SearchStatus.SEARCHED, SearchStatus.BUILT):
        raise ApplicationError(f"Search #{search.pk} has not searched its whole config space yet.")
    if limit < 1:
        raise ApplicationError("The limit must be at least 1.")
    if not search.profitable_configs.exists():
        raise ApplicationError(f"Search #{search.pk} found no profitable config.")
    return job_enqueue(
        kind="prediction_models.build",
        target=search,
        params={"limit": int(limit)},
        user=user,
        inline=inline,
        dedup_key=f"pm-build-{search.pk}",
    )


def ranked_configs(search: PredictionModelSearch, limit: int | None = None) -> list[ProfitableConfig]:
    """The search's profitable configs, best first, under its ranking (``engine.ranking``), on
    the selection period only: ``profit`` orders by profit, accuracy and config index in the
    database; ``profit_lcb`` by the lower bound of the mean profit per position first."""
    configs = search.profitable_configs.all()
    if search.ranking == PROFIT:
        return list(configs.order_by("-profit", "-accuracy", "config_index")[:limit])
    rows = list(
        configs.values_list("pk", "config_index", "profit", "accuracy", "positions", "price_change_requirement")
    )
    if not rows:
        return []
    pk, index, profit, accuracy, positions, pcr = (np.array(column) for column in zip(*rows, strict=True))
    settings = backtest_settings(search.epoch)
    money = {float(p): TradeConstants.of(settings, float(p)) for p in np.unique(pcr)}
    wins = np.rint(
        accuracy.astype(np.float64) * positions / 100
    )  # accuracy has 2 decimals: exact below 10,000 positions
    lcb = profit_lcb(
        profit,
        positions,
        wins,
        np.array([money[float(p)].net_profit for p in pcr]),
        np.array([money[float(p)].net_loss for p in pcr]),
    )
    best = pk[rank_order(search.ranking, index, profit, accuracy, lcb)[:limit]].tolist()
    by_pk = configs.in_bulk(best)
    return [by_pk[p] for p in best]


def model_id(search: PredictionModelSearch, config_index: int) -> str:
    """``<EPOCH_ID>_<32 hex>``, the same for the same search, assets and config."""
    seed = f"{search.epoch_id}:{search.pk}:{search.assets_sha256}:{config_index}"
    return f"{search.epoch_id}_{hashlib.sha256(seed.encode()).hexdigest()[:32]}"


def _with_sums(performance: dict) -> dict:
    """Epoca's IPrediction carries ``s``: the features' sum rounded to 6 decimals."""
    for position in performance["positions"]:
        position["p"]["s"] = round(sum(position["p"]["f"]), 6)
    return performance


def _metrics(performance: dict, assets: PredictionModelAssets, start: int, end: int) -> dict:
    """The added figures of a period ``[start, end]`` (ms): :func:`extra_metrics` over the minutes
    the backtest walked, and the deepest mark-to-market drawdown over the period's minutes."""
    walked = int(np.searchsorted(assets.lookback_indexer, assets.features_num, "left"))
    return {
        **extra_metrics(performance, assets.minutes, 0, max(0, walked - 1)),
        "marked_drawdown_pct": largest_marked_drawdown(performance, assets.minutes, start, end),
    }


def holdout_backtest(
    assets: PredictionModelAssets, config: ProfitableConfig, min_sums: tuple[float, float], settings: BacktestSettings
) -> tuple[dict, dict]:
    """The holdout period traded with the selection's min sums, from a fresh initial balance."""
    rows = assets.feature_rows(config.regression_ids)
    performance = backtest_reference.backtest(
        assets=assets,
        pcr=config.price_change_requirement,
        min_increase_sum=min_sums[0],
        min_decrease_sum=min_sums[1],
        features=assets.features[rows].T.tolist(),
        sums=feature_sums(assets.features, rows),
        settings=settings,
    )
    return accepted_discovery(assets, rows, config.price_change_requirement), _with_sums(performance)


def accepted_discovery(assets: PredictionModelAssets, rows: Sequence[int] | np.ndarray, pcr: float) -> dict:
    """Discovery over the rows Epoca would predict on (refused rows have no sum)."""
    sums = np.asarray(feature_sums(assets.features, rows))
    labels = assets.labels[float(pcr)]
    n = min(len(sums), len(labels))
    accepted = ~assets.refused[:n]
    return discover(sums[:n][accepted], labels[:n][accepted])


def certificate_build(
    *,
    search: PredictionModelSearch,
    config: ProfitableConfig,
    creation: int,
    selection_assets: PredictionModelAssets,
    holdout_assets: PredictionModelAssets | None,
    regression_configs: dict,
    bounds: tuple[Period, Period | None],
    markets: dict,
) -> dict:
    settings = backtest_settings(search.epoch)
    pcr = config.price_change_requirement
    if float(pcr) not in markets:
        markets[float(pcr)] = Market.build(selection_assets, pcr)
    discovery, performance, min_sums = backtest_record(
        selection_assets,
        config.regression_ids,
        pcr,
        config.min_sum_function,
        config.min_sum_adjustment_factor,
        settings,
        market=markets[float(pcr)],
    )
    cid = model_id(search, config.config_index)
    selection, holdout = bounds
    cert = {
        "id": cid,
        "creation": creation,
        "test_ds_start": selection.start,
        "test_ds_end": selection.end,
        "model": {
            "id": cid,
            "price_change_requirement": pcr,
            "min_sum_function": config.min_sum_function,
            "min_sum_adjustment_factor": config.min_sum_adjustment_factor,
            "min_increase_sum": min_sums[0],
            "min_decrease_sum": min_sums[1],
            "regressions": [regression_configs[rid] for rid in config.regression_ids],
        },
        "discovery": discovery,
        "backtest": _with_sums(performance),
        "metrics": _metrics(performance, selection_assets, selection.start, selection.end),
        "holdout": None,
    }
    if holdout_assets is not None and holdout is not None:  # both or neither
        hold_discovery, hold_performance = holdout_backtest(holdout_assets, config, min_sums, settings)
        cert["holdout"] = {
            "test_ds_start": holdout.start,
            "test_ds_end": holdout.end,
            "discovery": hold_discovery,
            "backtest": hold_performance,
            "metrics": _metrics(hold_performance, holdout_assets, holdout.start, holdout.end),
            "rows": holdout_assets.features_num,
            "refused_rows": int(holdout_assets.refused.sum()),
        }
    return _finite(cert)


def _finite(value: Any) -> Any:
    """JSON has no NaN/Infinity: undefined ratios become null."""
    if isinstance(value, float) and not np.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def models_build(
    *, search: PredictionModelSearch, limit: int, progress: Callable[[int, int, str], None] | None = None
) -> list[PredictionModel]:
    """Certificates of the ``limit`` best profitable configs; replaces the search's earlier build."""
    directory = paths.assets_dir(search)
    if not (directory / ASSETS_FILE).exists():
        raise ApplicationError(f"Search #{search.pk} has no assets.")
    selection_assets = load_assets(directory)
    holdout_dir = paths.holdout_assets_dir(search)
    holdout_assets = load_assets(holdout_dir) if (holdout_dir / ASSETS_FILE).exists() else None
    layout = epoch_layout(search.epoch_id)
    _, prediction, _ = read_epoch_candles(layout.candlesticks)
    bounds = periods(search.epoch, prediction)
    configs = ranked_configs(search, limit)
    regression_configs = {
        rid: read_json(layout.regression_certificate(rid))["regression_config"] for rid in search.regression_ids
    }
    creation = int(time.time() * 1000)
    markets: dict = {}
    certificates = []
    for done, config in enumerate(configs):
        cert = certificate_build(
            search=search,
            config=config,
            creation=creation,
            selection_assets=selection_assets,
            holdout_assets=holdout_assets,
            regression_configs=regression_configs,
            bounds=bounds,
            markets=markets,
        )
        validate_certificate(cert, search.epoch_id)
        certificates.append((config, cert))
        if progress:
            progress(done + 1, len(configs), cert["id"])
    settings = backtest_settings(search.epoch)
    deflated = {cert["id"]: model_deflated_sharpe(search, cert, selection_assets, settings) for _, cert in certificates}
    return models_record(search=search, certificates=certificates, deflated=deflated)


def model_deflated_sharpe(
    search: PredictionModelSearch, cert: dict, assets: PredictionModelAssets, settings: BacktestSettings
) -> dict | None:
    """The model's DSR (both N) from its selection-period positions, on the search's calendar."""
    if not search.overfitting:
        return None
    minutes = assets.minutes
    days = day_starts(int(minutes.ot[0]), int(minutes.ct[-1]))
    positions = cert["backtest"]["positions"]
    initial = TradeConstants.of(settings, cert["model"]["price_change_requirement"]).initial_balance
    returns = daily_returns(
        np.asarray([p["ct"] for p in positions]), np.asarray([p["b"] for p in positions]), initial, days
    )
    return OverfittingSummary.from_dict(search.overfitting).deflated_sharpe(returns)


@transaction.atomic
def models_record(
    *, search: PredictionModelSearch, certificates: list, deflated: dict | None = None
) -> list[PredictionModel]:
    layout = epoch_layout(search.epoch_id)
    for _, cert in certificates:
        write_json(layout.model_certificate(cert["id"]), cert)
    write_json(paths.build_file(search.epoch_id), [cert for _, cert in certificates])
    keep = {cert["id"] for _, cert in certificates}
    for stale in search.models.exclude(id__in=keep):
        (layout.root / stale.certificate_file).unlink(missing_ok=True)
        stale.delete()
    models = []
    for rank, (config, cert) in enumerate(certificates, start=1):
        backtest = cert["backtest"]
        ebe = prediction_model_evaluation(cert)
        model, _ = PredictionModel.objects.update_or_create(
            id=cert["id"],
            defaults={
                "search": search,
                "profitable_config": config,
                "rank": rank,
                "certificate_file": paths.certificate_relpath(cert["id"]),
                **certificate_columns(cert),
                "ebe_points": ebe["points"],
                "ebe_state": ebe["state"],
                "positions_fingerprint": positions_fingerprint(backtest),
                "deflated_sharpe": (deflated or {}).get(cert["id"]),
            },
        )
        models.append(model)
    search.mark_built()
    epoch_disk_usage_record(epoch=search.epoch_id)
    return models
