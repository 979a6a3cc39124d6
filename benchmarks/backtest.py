"""Prediction-model search at the default size: fast engine vs the per-minute reference.

One year of real BTCUSDT 1 m candles (BINANCE_MIRROR_DIR), 15 m prediction candles, lookback
128, 32 forecast steps, 20 regressions, 8 regressions per model, pcr [3], msf [mean, median],
msaf [1, 1.5, 2]: 755 820 configs, with the default trading settings (position 10 000,
leverage 3, fee 0.065 %, idle 180 minutes) and the default filter (accuracy >= 55, profit > 0).

Synthetic features (training 20 regressions would take hours). Each regression ``i``
forecasts the change of the normalised close over the 32 prediction candles after the
decision, ``change[k]``, as

    forecast_i[k] = skill_i * change[k] + scale_i * sd(change) * noise_i[k]
    noise_i       = sqrt(0.5) * shared[k] + sqrt(0.5) * own_i[k]

with ``skill_i ~ U(0, 0.05)`` and ``scale_i ~ U(0.8, 1.2)`` (seeded, per regression), and
``shared``/``own_i`` unit-variance AR(1) series with persistence 0.9 per candle: forecasts
of overlapping windows move smoothly, and regressions trained on the same candles make
largely the same mistakes. That is about 51 % directional accuracy per regression, the
level trained regressions reach on unseen 8-hour BTC moves, so profitable configs are mostly
the luck of a trending year; their share depends strongly on the seed. The forecast then goes
through the real feature formula (pct change rounded to 2 decimals, clipped, scaled).

The search runs after a warm-up call (JIT compilation, or loading numba's on-disk cache),
which ``full_search_s`` excludes and ``jit_s`` reports. A few random configs are re-run with
the per-minute reference, which must agree, to measure its seconds per config. The last line
printed is one JSON object.

    NUMBA_NUM_THREADS=2 .venv/bin/python benchmarks/backtest.py [--year 2023] [--threads 2]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from prediction_models.engine import backtest as fast
from prediction_models.engine import backtest_reference as reference
from prediction_models.engine.assets import Candles, build_assets, feature_from_prediction
from prediction_models.engine.config_space import ConfigSpace
from prediction_models.engine.overfitting import day_starts, feature_day_permutation
from prediction_models.engine.trading import BacktestSettings
from prediction_models.search_space import overfitting_accumulator

LOOKBACK, STEPS, INTERVAL = 128, 32, 15
STEP = 60_000  # configs per call


def load_year(mirror: Path, year: int) -> pd.DataFrame:
    frames = []
    for month in range(1, 13):
        path = mirror / f"data/spot/monthly/klines/BTCUSDT/1m/BTCUSDT-1m-{year}-{month:02d}.zip"
        with zipfile.ZipFile(path) as archive, archive.open(archive.namelist()[0]) as handle:
            frames.append(pd.read_csv(handle, header=None, usecols=[0, 1, 2, 3, 4, 6]))
    df = pd.concat(frames, ignore_index=True)
    df.columns = ["ot", "o", "h", "l", "c", "ct"]
    return df


def resample(minutes: pd.DataFrame) -> pd.DataFrame:
    width = INTERVAL * 60_000
    groups = minutes.groupby(minutes.ot // width)
    out = pd.DataFrame({"o": groups.o.first(), "h": groups.h.max(), "l": groups.l.min(), "c": groups.c.last()})
    out["ot"] = out.index * width
    out["ct"] = out.ot + width - 1
    return out.reset_index(drop=True)


SKILL = (0.0, 0.05)  # weight of the real change, drawn per regression
SCALE = (0.8, 1.2)  # noise level in units of sd(change), drawn per regression
SHARED = 0.5  # share of the noise variance common to all regressions
PERSISTENCE = 0.9  # AR(1) coefficient of the noise from one prediction candle to the next


def smooth_noise(rng: np.random.Generator, size: int) -> np.ndarray:
    """Unit-variance AR(1) series with coefficient ``PERSISTENCE``."""
    shocks = (rng.normal(0, 1, size) * np.sqrt(1 - PERSISTENCE**2)).tolist()
    out = np.empty(size)
    level = shocks[0] / np.sqrt(1 - PERSISTENCE**2)
    out[0] = level
    for i in range(1, size):
        level = PERSISTENCE * level + shocks[i]
        out[i] = level
    return out


def synthetic_features(closes: np.ndarray, n: int, seed: int) -> dict:
    """``n`` regressions' features from noisy forecasts of the real change (see the module doc)."""
    rng = np.random.default_rng(seed)
    norm = closes / closes.max()
    f = len(closes) - LOOKBACK - STEPS
    x_last = norm[LOOKBACK - 1 : LOOKBACK - 1 + f]
    change = norm[LOOKBACK - 1 + STEPS : LOOKBACK - 1 + STEPS + f] / x_last - 1
    shared = smooth_noise(rng, f)
    features = {}
    for i in range(n):
        skill, scale = rng.uniform(*SKILL), rng.uniform(*SCALE)
        noise = np.sqrt(SHARED) * shared + np.sqrt(1 - SHARED) * smooth_noise(rng, f)
        forecast = skill * change + scale * change.std() * noise
        features[f"KR_SYNTH_{i:02d}"] = feature_from_prediction(x_last, x_last * (1 + forecast))
    return features


def candles(df: pd.DataFrame) -> Candles:
    return Candles.from_arrays("benchmark", df.ot, df.ct, df.o, df.h, df.l, df.c)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--year", type=int, default=2023)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--regressions", type=int, default=20)
    parser.add_argument("--reference-samples", type=int, default=5)
    parser.add_argument("--seed", type=int, default=60184)
    parser.add_argument(
        "--statistics",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also time the search carrying the daily returns and feeding the statistics",
    )
    parser.add_argument("--null-seeds", type=int, default=3, help="null-baseline searches (day-permuted features)")
    args = parser.parse_args()
    mirror = Path(os.environ.get("BINANCE_MIRROR_DIR", Path(__file__).resolve().parents[2] / "shared" / "binance"))
    load_before = os.getloadavg()

    minutes = load_year(mirror, args.year)
    predictions = resample(minutes)
    features = synthetic_features(predictions.c.to_numpy(), args.regressions, args.seed)
    started = time.perf_counter()
    assets = build_assets(
        predictions=candles(predictions),
        minutes=candles(minutes),
        features=features,
        lookback=LOOKBACK,
        forecast_steps=STEPS,
        pcrs=(3,),
    )
    assets_s = time.perf_counter() - started
    space = ConfigSpace(assets.regression_ids)
    settings = BacktestSettings(position_size=10000, leverage=3, exchange_fee=0.065, idle_minutes=180)
    thresholds = fast.Thresholds(min_accuracy=55, min_profit=0)

    started = time.perf_counter()
    fast.evaluate_chunk(assets, space, 0, space.variants, settings, threads=args.threads)
    jit_s = time.perf_counter() - started
    compiled = sum(sum(d.stats.cache_misses.values()) for d in (fast._search, fast._trade_tables))

    # The full search three ways, step by step side by side (each step plain, then carrying every
    # config's daily returns, then those returns fed to the statistics), so that the machine's
    # other work slows all three alike.
    markets = {3.0: fast.Market.build(assets, 3)}
    days = day_starts(int(assets.minutes.ot[0]), int(assets.minutes.ct[-1]))
    fast.evaluate_chunk_returns(assets, space, 0, space.variants, settings, days, markets)  # compiles
    accumulator, _ = overfitting_accumulator(assets, {"blocks": 8, "reps": 1000, "seed": args.seed})
    parts, profitable = [], 0
    full_search_s = returns_s = statistics_s = 0.0
    for lo in range(0, len(space), STEP):
        hi = min(len(space), lo + STEP)
        started = time.perf_counter()
        part = fast.evaluate_chunk(assets, space, lo, hi, settings, markets)
        full_search_s += time.perf_counter() - started
        passed = thresholds.passed(part)
        profitable += int(passed.sum())
        parts.append(part)
        if args.statistics:
            started = time.perf_counter()
            with_returns, returns = fast.evaluate_chunk_returns(assets, space, lo, hi, settings, days, markets)
            returns_s += time.perf_counter() - started
            assert all(np.array_equal(part[f], with_returns[f], equal_nan=True) for f in fast.SUMMARY_DTYPE.names)
            started = time.perf_counter()
            accumulator.add(returns, config_index=part["index"], passed=passed, positions=part["positions"])
            statistics_s += time.perf_counter() - started
            del returns
        print(
            f"{hi}/{len(space)} plain {full_search_s:.1f}s, with daily returns {returns_s:.1f}s, "
            f"statistics {statistics_s:.1f}s",
            flush=True,
        )
    load_after = os.getloadavg()
    summary = np.concatenate(parts)
    assert summary["index"].tolist() == list(range(len(space)))
    overfitting = accumulator.summary().as_dict() if args.statistics else None

    rng = np.random.default_rng(args.seed)
    sample = rng.choice(len(space), args.reference_samples, replace=False)
    started = time.perf_counter()
    for index in sample:
        config = space.config(int(index))
        ids = [space.regression_ids[i] for i in config.combination]
        _, performance, min_sums = reference.evaluate(assets, ids, config.pcr, config.msf, config.msaf, settings)
        row = summary[index]
        assert (
            row["profit"],
            row["fees"],
            row["accuracy"],
            row["positions"],
            row["largest_balance_drawdown"],
            (row["min_increase_sum"], row["min_decrease_sum"]),
        ) == (
            performance["profit"],
            performance["fees"],
            performance["accuracy"],
            len(performance["positions"]),
            performance["largest_balance_drawdown"],
            min_sums,
        ), index
    reference_s = (time.perf_counter() - started) / len(sample)

    # The null baseline: the same search on features moved by whole days, one seed each.
    null = []
    for seed in range(1, args.null_seeds + 1):
        order = feature_day_permutation(assets.minutes.ot, assets.lookback_indexer, assets.features_num, seed)
        permuted = dataclasses.replace(assets, features=np.ascontiguousarray(assets.features[:, order]))
        started = time.perf_counter()
        passed = sum(
            int(
                thresholds.passed(
                    fast.evaluate_chunk(permuted, space, lo, min(len(space), lo + STEP), settings, markets)
                ).sum()
            )
            for lo in range(0, len(space), STEP)
        )
        null.append(
            {"seed": seed, "passed": passed, "pass_rate": passed / len(space), "s": time.perf_counter() - started}
        )
        print(f"null seed {seed}: {passed} pass ({passed * 100 / len(space):.2f} %)", flush=True)
    null_rate = float(np.mean([n["pass_rate"] for n in null])) if null else None
    ratio = returns_s / full_search_s if args.statistics else None
    stats_ratio = (returns_s + statistics_s) / full_search_s if args.statistics else None
    if args.statistics:
        print(
            f"daily returns: {returns_s:.2f}s against {full_search_s:.2f}s plain, ratio {ratio:.3f}; "
            f"with the statistics fed: {returns_s + statistics_s:.2f}s, ratio {stats_ratio:.3f}",
            flush=True,
        )

    print(
        json.dumps(
            {
                "configs": len(space),
                "year": args.year,
                "minutes": len(assets.minutes),
                "features_num": assets.features_num,
                "settings": dataclasses.asdict(settings),
                "threads": args.threads,
                "assets_s": round(assets_s, 2),
                "jit_s": round(jit_s, 2),
                "jit_compiled": compiled > 0,  # false: loaded from numba's cache
                "full_search_s": round(full_search_s, 2),
                "fast_configs_per_s": round(len(space) / full_search_s, 1),
                "reference_s_per_config": round(reference_s, 3),
                "reference_samples_equal": len(sample),
                "speedup": round(reference_s * len(space) / full_search_s, 1),
                "mean_positions_per_config": round(float(summary["positions"].mean()), 2),
                "profitable_configs": profitable,
                "profitable_pct": round(profitable * 100 / len(space), 2),
                "returns_days": len(days),
                "with_daily_returns_s": round(returns_s, 2),
                "with_daily_returns_ratio": None if ratio is None else round(ratio, 3),
                "statistics_s": round(statistics_s, 2),
                "with_statistics_ratio": None if stats_ratio is None else round(stats_ratio, 3),
                "pbo": None if overfitting is None else overfitting["pbo"]["pbo"],
                "spa_pvalue_flat": None
                if overfitting is None
                else (overfitting["spa_pvalue"]["flat"] or {}).get("consistent"),
                "null_seeds": len(null),
                "null_pass_rates": [round(n["pass_rate"], 4) for n in null],
                "null_pass_rate": None if null_rate is None else round(null_rate, 4),
                "null_search_s": [round(n["s"], 1) for n in null],
                "loadavg_1m_before_after": [round(load_before[0], 2), round(load_after[0], 2)],
            }
        )
    )


if __name__ == "__main__":
    main()
