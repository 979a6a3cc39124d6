"""A search's config space: one engine ``ConfigSpace`` per regressions-per-model value, end to end.

Indexes run through the spaces in the order of ``regressions_per_model`` (with the original's
single value, the index is the engine's index).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from types import SimpleNamespace

import numpy as np

from core.files import atomic_open
from prediction_models.engine.backtest import Market, Thresholds, search_chunk
from prediction_models.engine.config_space import ConfigSpace
from prediction_models.engine.metrics import SEARCH_MINIMUMS, search_minimums_of
from prediction_models.engine.overfitting import OverfittingAccumulator, buy_and_hold_returns, day_starts
from prediction_models.engine.ranking import PROFIT, extra_series
from prediction_models.engine.trading import BacktestSettings


@dataclasses.dataclass(frozen=True)
class Part:
    offset: int
    space: ConfigSpace


@dataclasses.dataclass(frozen=True)
class SearchSpace:
    parts_: tuple[Part, ...]

    def __len__(self) -> int:
        last = self.parts_[-1]
        return last.offset + len(last.space)

    def part(self, index: int) -> Part:
        if not 0 <= index < len(self):
            raise ValueError(f"config index {index} outside 0..{len(self) - 1}")
        return next(p for p in reversed(self.parts_) if p.offset <= index)

    def minified(self, index: int) -> dict:
        part = self.part(index)
        return part.space.minified(index - part.offset)

    def parts(self, start: int, stop: int) -> Iterator[tuple[Part, int, int]]:
        """``(part, lo, hi)`` for each part that ``[start, stop)`` overlaps (global indexes)."""
        for part in self.parts_:
            lo, hi = max(start, part.offset), min(stop, part.offset + len(part.space))
            if lo < hi:
                yield part, lo, hi

    def chunks(self, size: int) -> list[tuple[int, int]]:
        """``[start, stop)`` bounds of at most ``size`` configs, never across two parts."""
        return [
            (lo, min(lo + size, part.offset + len(part.space)))
            for part in self.parts_
            for lo in range(part.offset, part.offset + len(part.space), size)
        ]


def search_space(search) -> SearchSpace:
    parts, offset = [], 0
    for r in search.regressions_per_model:
        space = ConfigSpace(
            regression_ids=tuple(search.regression_ids),
            regressions_per_model=int(r),
            pcrs=tuple(float(p) for p in search.price_change_requirements),
            msfs=tuple(search.min_sum_functions),
            msafs=tuple(float(a) for a in search.min_sum_adjustment_factors),
        )
        parts.append(Part(offset, space))
        offset += len(space)
    if not parts:
        raise ValueError("no regressions-per-model value")
    return SearchSpace(tuple(parts))


# ---------------------------------------------------------------------------- a chunk, without a database

SPEC_FILE = "search_spec.json"


def search_spec(search, backtest: dict, overfitting: dict | None = None) -> dict:
    """Everything a chunk needs besides the assets: written beside them for cluster servers."""
    return {
        "regression_ids": list(search.regression_ids),
        "regressions_per_model": [int(r) for r in search.regressions_per_model],
        "price_change_requirements": [float(p) for p in search.price_change_requirements],
        "min_sum_functions": list(search.min_sum_functions),
        "min_sum_adjustment_factors": [float(a) for a in search.min_sum_adjustment_factors],
        **search_minimums_of(search),
        "ranking": str(getattr(search, "ranking", PROFIT)),  # a search made before it: profit
        "backtest": backtest,
        # The accumulator's settings (blocks, reps, seed): the same for every chunk of a search.
        "overfitting": overfitting,
    }


def overfitting_accumulator(assets, settings: dict) -> tuple[OverfittingAccumulator | None, np.ndarray]:
    """An empty accumulator on the selection period's calendar (its days), buy-and-hold included;
    None for a period of fewer than 2 days (no statistic is defined on it)."""
    minutes = assets.minutes
    days = day_starts(int(minutes.ot[0]), int(minutes.ct[-1]))
    if len(days) < 2:
        return None, days
    bh = buy_and_hold_returns(minutes.ct, minutes.c, float(minutes.o[0]), days)
    # A short period gets fewer PBO blocks (an even number, a day each at least); every chunk of
    # a search has the same days, so the same blocks. The summary's settings say how many.
    blocks = min(int(settings["blocks"]), len(days) - len(days) % 2)
    acc = OverfittingAccumulator(
        len(days), blocks=blocks, reps=int(settings["reps"]), seed=int(settings["seed"]), buy_and_hold=bh
    )
    return acc, days


def overfitting_partial_write(path, accumulator: OverfittingAccumulator):
    """A chunk's partial statistics, written atomically (a half-written file is never read)."""
    with atomic_open(path, "wb") as handle:
        np.savez(handle, **accumulator.partial())
    return path


def evaluate_range(
    assets,
    spec: dict,
    start: int,
    stop: int,
    *,
    markets: dict | None = None,
    progress=None,
    should_stop=None,
    accumulator: OverfittingAccumulator | None = None,
) -> list[tuple[int, dict]]:
    """The configs of ``[start, stop)`` that pass the filter, as ``(index, summary)``.

    Runs the same way in a local worker and on a cluster server (``manage.py search_chunk``).
    With an ``accumulator`` (from :func:`overfitting_accumulator`) every config's daily returns
    feed it, with whether it passed.
    """
    space = search_space(SimpleNamespace(**spec))
    # A spec written before a bound existed had the original's.
    thresholds = Thresholds(**{b.name: b.value(spec.get(b.name, b.original)) for b in SEARCH_MINIMUMS})
    settings = BacktestSettings(**spec["backtest"])
    ranking = str(spec.get("ranking", PROFIT))  # specs written before it existed ranked by profit
    markets = {} if markets is None else markets
    found: list[tuple[int, dict]] = []
    for part, lo, hi in space.parts(start, stop):
        for pcr in part.space.pcrs:
            if float(pcr) not in markets:
                markets[float(pcr)] = Market.build(assets, pcr)

        def report(done, total, message, _lo=lo):
            if progress:
                progress(_lo - start + done, stop - start, len(found))  # noqa: B023 (the count so far)

        on_returns, days = None, None
        if accumulator is not None:
            days = day_starts(int(assets.minutes.ot[0]), int(assets.minutes.ct[-1]))

            def on_returns(summary, returns, _offset=part.offset):
                accumulator.add(
                    returns,
                    config_index=summary["index"] + _offset,
                    passed=thresholds.passed(summary),
                    positions=summary["positions"],
                    extra=extra_series(ranking, returns),  # what the PBO's analogue of the ranking reads
                )

        found += [
            (part.offset + i, summary)
            for i, summary in search_chunk(
                assets,
                part.space,
                lo - part.offset,
                hi - part.offset,
                thresholds,
                settings,
                markets=markets,
                progress=report,
                should_stop=should_stop,
                days=days,
                on_returns=on_returns,
            )
        ]
    return found
