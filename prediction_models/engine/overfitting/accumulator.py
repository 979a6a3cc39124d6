"""A streaming accumulator of the overfitting statistics, fed a search's chunks one by one.

Each chunk's ``returns[n_configs, n_days]`` (daily realised balance returns on the selection
period's common calendar) is reduced at once to what the statistics need, and then dropped:

* DSR: count, mean and squared deviations of the daily Sharpe ratios of the configs with
  positions, and the distinct position sequences (8-byte keys);
* PBO: each config's per-block sums (``n_configs x S``) and its index;
* SPA: per bootstrap replication the maximum re-centred mean over the chunk's configs, and
  the chunk's largest mean, against each benchmark (flat, buy-and-hold).

A chunk computed elsewhere sends :meth:`OverfittingAccumulator.partial` (a dict of numpy arrays
that ``np.savez`` writes) and is merged back with :meth:`merge`; the order of chunks does not
matter. :meth:`summary` finishes into an :class:`OverfittingSummary`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

import numpy as np

from prediction_models.engine.overfitting import pbo as pbo_mod
from prediction_models.engine.overfitting.dsr import TrialSharpe, sharpe_ratios
from prediction_models.engine.overfitting.spa import (
    DEFAULT_REPS,
    SPAPartial,
    bootstrap_counts,
    default_block_size,
    spa_chunk,
)
from prediction_models.engine.overfitting.summary import OverfittingSummary

BENCHMARKS = ("flat", "buy_and_hold")
_SUMS = "sums__"


def row_keys(returns: np.ndarray) -> np.ndarray:
    """An 8-byte key per row: equal rows (equal position sequences give equal daily returns) get equal keys."""
    rows = np.ascontiguousarray(np.asarray(returns, dtype=np.float64) + 0.0)  # + 0.0 makes -0.0 into 0.0
    return np.array(
        [int.from_bytes(hashlib.blake2b(r.tobytes(), digest_size=8).digest(), "little") for r in rows], dtype=np.uint64
    )


class OverfittingAccumulator:
    def __init__(
        self,
        n_days: int,
        blocks: int = pbo_mod.DEFAULT_BLOCKS,
        reps: int = DEFAULT_REPS,
        block_size: int | None = None,
        seed: int = 0,
        buy_and_hold: np.ndarray | None = None,
    ):
        """``buy_and_hold``: the asset's daily buy-and-hold returns on the same calendar (None: that
        benchmark is not tested). ``seed`` fixes the SPA's bootstrap, the same for every chunk."""
        self.n_days = int(n_days)
        self.blocks = int(blocks)
        self.edges = pbo_mod.block_edges(self.n_days, self.blocks)
        self.reps = int(reps)
        self.block_size = default_block_size(self.n_days) if block_size is None else int(block_size)
        self.seed = int(seed)
        bootstrap_counts(self.n_days, self.block_size, self.reps, self.seed)  # refuses bad settings now
        if buy_and_hold is not None:
            buy_and_hold = np.asarray(buy_and_hold, dtype=np.float64).ravel()
            if buy_and_hold.shape != (self.n_days,):
                raise ValueError(f"buy_and_hold has {buy_and_hold.size} daily returns, expected {self.n_days}")
            if not np.isfinite(buy_and_hold).all():
                raise ValueError("buy_and_hold daily returns hold NaN or Infinity")
        self.buy_and_hold = buy_and_hold
        self.configs_tried = 0
        self.configs_with_positions = 0
        self.passed = 0
        self.passed_known = 0  # configs whose pass/fail was given
        self.sharpe = TrialSharpe()
        self._keys: list[np.ndarray] = []
        self._index: list[np.ndarray] = []
        self._sums: dict[str, list[np.ndarray]] = {pbo_mod.RETURNS: []}
        self.spa = {name: SPAPartial.empty(self.reps) for name in self._benchmarks()}

    def _benchmarks(self) -> tuple[str, ...]:
        return BENCHMARKS if self.buy_and_hold is not None else BENCHMARKS[:1]

    # ------------------------------------------------------------------------ feeding

    def add(
        self,
        returns: np.ndarray,
        config_index: np.ndarray | None = None,
        passed: np.ndarray | None = None,
        positions: np.ndarray | None = None,
        keys: np.ndarray | None = None,
        extra: Mapping[str, np.ndarray] | None = None,
    ) -> None:
        """One chunk: ``returns[n_configs, n_days]``, and per config optionally its index in the
        config space (default: following the configs added so far), whether it passed the search's
        thresholds, its number of positions (default: whether any day's return is non-zero), a
        key of its position sequence (default: a hash of its returns) and, in ``extra``, other
        daily series (``n_configs x n_days``, e.g. wins) whose block sums a ranking reads."""
        returns = np.asarray(returns, dtype=np.float64)
        if returns.ndim != 2 or returns.shape[1] != self.n_days:
            raise ValueError(f"returns must be n_configs x {self.n_days}, got shape {returns.shape}")
        if not np.isfinite(returns).all():
            raise ValueError("returns hold NaN or Infinity")
        n = returns.shape[0]

        def per_config(name: str, values: np.ndarray | None, dtype: type[np.generic]) -> np.ndarray:
            values = np.asarray(values, dtype=dtype).ravel()
            if values.shape != (n,):
                raise ValueError(f"{name} has {values.size} values for {n} configs")
            return values

        if config_index is None:
            config_index = np.arange(self.configs_tried, self.configs_tried + n)
        config_index = per_config("config_index", config_index, np.int64)
        if passed is not None:
            passed = per_config("passed", passed, np.bool_)
        has_positions = (
            per_config("positions", positions, np.int64) > 0 if positions is not None else np.any(returns != 0, axis=1)
        )
        extra = dict(extra or {})
        if pbo_mod.RETURNS in extra:
            raise ValueError(f"extra series may not be named {pbo_mod.RETURNS!r}")
        if self.configs_tried and set(extra) != set(self._sums) - {pbo_mod.RETURNS}:
            raise ValueError(
                f"extra series {sorted(extra)} differ from the earlier chunks' "
                f"{sorted(set(self._sums) - {pbo_mod.RETURNS})}"
            )
        series = {pbo_mod.RETURNS: returns}
        for name, values in extra.items():
            series[name] = np.asarray(values, dtype=np.float64)
            if series[name].shape != returns.shape:
                raise ValueError(f"extra series {name!r} has shape {series[name].shape}, expected {returns.shape}")
        traded = returns[has_positions]
        chunk_keys = row_keys(traded) if keys is None else per_config("keys", keys, np.uint64)[has_positions]

        # Every input checked: from here on the chunk is recorded whole.
        for name, values in series.items():
            self._sums.setdefault(name, []).append(pbo_mod.block_sums(values, self.edges))
        self._index.append(config_index)
        self.sharpe.add(sharpe_ratios(traded) if traded.size else np.zeros(0))
        self._keys.append(np.unique(chunk_keys))
        if len(self._keys) > 64:
            self._keys = [np.unique(np.concatenate(self._keys))]
        counts = bootstrap_counts(self.n_days, self.block_size, self.reps, self.seed)
        benchmarks = {name: None if name == "flat" else self.buy_and_hold for name in self._benchmarks()}
        for name, partial in spa_chunk(returns, benchmarks, counts, self.block_size).items():
            self.spa[name].merge(partial)
        self.configs_tried += n
        self.configs_with_positions += int(has_positions.sum())
        if passed is not None:
            self.passed += int(passed.sum())
            self.passed_known += n

    # ------------------------------------------------------------------------ partials

    def _settings(self) -> np.ndarray:
        return np.array([self.n_days, self.blocks, self.reps, self.block_size, self.seed], np.int64)

    def _concatenated(
        self, parts: list[np.ndarray], shape_tail: tuple[int, ...] = (), dtype: type[np.generic] = np.float64
    ) -> np.ndarray:
        return np.concatenate(parts) if parts else np.zeros((0, *shape_tail), dtype)

    def partial(self) -> dict[str, np.ndarray]:
        """Everything this accumulator holds, as numpy arrays (``np.savez(path, **partial)``)."""
        out = {
            "settings": self._settings(),
            "buy_and_hold": self.buy_and_hold if self.buy_and_hold is not None else np.zeros(0),
            "has_buy_and_hold": np.array(self.buy_and_hold is not None),
            "counts": np.array(
                [self.configs_tried, self.configs_with_positions, self.passed, self.passed_known], np.int64
            ),
            "sharpe": np.array([self.sharpe.count, self.sharpe.mean, self.sharpe.m2], np.float64),
            "keys": np.unique(self._concatenated(self._keys, dtype=np.uint64)),
            "config_index": self._concatenated(self._index, dtype=np.int64),
        }
        for name, parts in self._sums.items():
            out[_SUMS + name] = self._concatenated(parts, (self.blocks,))
        for name, partial in self.spa.items():
            out[f"spa_{name}_max_simulated"] = partial.max_simulated
            out[f"spa_{name}_max_mean"] = np.array(partial.max_mean)
            out[f"spa_{name}_configs"] = np.array(partial.configs, np.int64)
        return out

    @classmethod
    def from_partial(cls, partial: Mapping[str, np.ndarray]) -> OverfittingAccumulator:
        """An accumulator holding a partial (from :meth:`partial` or ``np.load`` of its file)."""
        n_days, blocks, reps, block_size, seed = (int(v) for v in partial["settings"])
        bh = np.asarray(partial["buy_and_hold"]) if bool(partial["has_buy_and_hold"]) else None
        acc = cls(n_days, blocks, reps, block_size, seed, bh)
        acc.merge_partial(partial)
        return acc

    def merge_partial(self, partial: Mapping[str, np.ndarray]) -> None:
        if not np.array_equal(np.asarray(partial["settings"]), self._settings()):
            raise ValueError(
                f"partial settings {np.asarray(partial['settings']).tolist()} (days, blocks, reps, "
                f"block size, seed) differ from {self._settings().tolist()}"
            )
        has_bh = bool(partial["has_buy_and_hold"])
        if has_bh != (self.buy_and_hold is not None) or (
            self.buy_and_hold is not None and not np.array_equal(np.asarray(partial["buy_and_hold"]), self.buy_and_hold)
        ):
            raise ValueError("partial was computed against another buy-and-hold benchmark")
        tried, with_positions, passed, passed_known = (int(v) for v in partial["counts"])
        if tried == 0:
            return  # an empty chunk adds nothing
        names = {k[len(_SUMS) :] for k in partial if k.startswith(_SUMS)}
        mine = set(self._sums) if self.configs_tried else names
        if names != mine:
            raise ValueError(f"partial's per-block series {sorted(names)} differ from {sorted(mine)}")
        if not self.configs_tried:
            self._sums = {name: [] for name in names}
        count, mean, m2 = (float(v) for v in partial["sharpe"])
        self.sharpe.merge(TrialSharpe(int(count), mean, m2))
        self._keys.append(np.asarray(partial["keys"], np.uint64))
        self._index.append(np.asarray(partial["config_index"], np.int64))
        for name in names:
            self._sums.setdefault(name, []).append(np.asarray(partial[_SUMS + name], np.float64))
        for name in self._benchmarks():
            self.spa[name].merge(
                SPAPartial(
                    np.array(partial[f"spa_{name}_max_simulated"], np.float64),
                    float(partial[f"spa_{name}_max_mean"]),
                    int(partial[f"spa_{name}_configs"]),
                )
            )
        self.configs_tried += tried
        self.configs_with_positions += with_positions
        self.passed += passed
        self.passed_known += passed_known

    def merge(self, other: OverfittingAccumulator) -> None:
        self.merge_partial(other.partial())

    # ------------------------------------------------------------------------ finishing

    def summary(
        self, ranking: pbo_mod.Ranking = pbo_mod.total_return, null_pass_rate: float | None = None
    ) -> OverfittingSummary:
        """The summary; PBO's in-sample pick made by ``ranking`` (default: total return)."""
        index = self._concatenated(self._index, dtype=np.int64)
        if len(np.unique(index)) != len(index):
            raise ValueError("a config was added twice (repeated config indexes)")
        sums = {name: self._concatenated(parts, (self.blocks,)) for name, parts in self._sums.items()}
        keys = np.unique(self._concatenated(self._keys, dtype=np.uint64))
        spa = {name: self.spa[name].pvalues() if name in self.spa else None for name in BENCHMARKS}
        summary = OverfittingSummary(
            configs_tried=self.configs_tried,
            configs_with_positions=self.configs_with_positions,
            distinct_position_sequences=int(keys.size),
            pass_rate=self.passed / self.configs_tried
            if self.configs_tried and self.passed_known == self.configs_tried
            else None,
            null_pass_rate=null_pass_rate,
            pbo=pbo_mod.pbo(sums, index, ranking).as_dict(),
            spa_pvalue=spa,
            sharpe_trials={
                "count": self.sharpe.count,
                "mean": self.sharpe.mean if self.sharpe.count else None,
                "variance": self.sharpe.variance,
            },
            settings={
                "days": self.n_days,
                "pbo_blocks": self.blocks,
                "spa_reps": self.reps,
                "spa_block_size": self.block_size,
                "seed": self.seed,
                "benchmarks": list(self._benchmarks()),
            },
        )
        return OverfittingSummary.from_dict(summary.as_dict())  # every field JSON-safe
