"""The prediction-model configuration space (ORIGINAL.md §7.2), indexed without enumeration.

A config is one combination of ``r`` regressions of the selection (``itertools.combinations``
order) with one price-change requirement (pcr), one min-sum function (msf) and one min-sum
adjustment factor (msaf). Order: combination-major, then pcr, then msf, then msaf, so the
``len(pcrs) * len(msfs) * len(msafs)`` configs of one combination are adjacent and share their
feature sums and discovery in the fast engine. Indexes are materialised by combinatorial
unranking, so a chunk ``[start, stop)`` of 755 820 configs costs nothing to address.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from math import comb

MIN_SUM_FUNCTIONS = ("mean", "median")


class ConfigSpaceError(ValueError):
    """Invalid search-space settings or an index/config outside the space."""


@dataclasses.dataclass(frozen=True)
class Config:
    combination: tuple[int, ...]  # positions in ConfigSpace.regression_ids, increasing
    pcr: float
    msf: str
    msaf: float


@dataclasses.dataclass(frozen=True)
class ConfigSpace:
    regression_ids: tuple[str, ...]
    regressions_per_model: int = 8
    pcrs: tuple[float, ...] = (3,)
    msfs: tuple[str, ...] = MIN_SUM_FUNCTIONS
    msafs: tuple[float, ...] = (1, 1.5, 2)

    def __post_init__(self) -> None:
        n, r = len(self.regression_ids), self.regressions_per_model
        if len(set(self.regression_ids)) != n:
            raise ConfigSpaceError("regression_ids contains duplicates")
        if not 1 <= r <= n:
            raise ConfigSpaceError(f"regressions_per_model {r} must be within 1..{n}")
        if not self.pcrs or any(p <= 0 for p in self.pcrs):
            raise ConfigSpaceError(f"pcrs must be positive, got {self.pcrs}")
        if not self.msfs or any(f not in MIN_SUM_FUNCTIONS for f in self.msfs):
            raise ConfigSpaceError(f"msfs must be among {MIN_SUM_FUNCTIONS}, got {self.msfs}")
        if not self.msafs or any(a <= 0 for a in self.msafs):
            raise ConfigSpaceError(f"msafs must be positive, got {self.msafs}")

    @property
    def combinations(self) -> int:
        return comb(len(self.regression_ids), self.regressions_per_model)

    @property
    def variants(self) -> int:
        """Configs per combination."""
        return len(self.pcrs) * len(self.msfs) * len(self.msafs)

    def __len__(self) -> int:
        return self.combinations * self.variants

    # ----------------------------------------------------------------- index <-> config

    def combination(self, rank: int) -> tuple[int, ...]:
        """The ``rank``-th r-combination of ``range(n)`` in lexicographic (itertools) order."""
        n, r = len(self.regression_ids), self.regressions_per_model
        if not 0 <= rank < self.combinations:
            raise ConfigSpaceError(f"combination rank {rank} outside 0..{self.combinations - 1}")
        result, x = [], 0
        for slot in range(r, 0, -1):
            while True:
                below = comb(n - x - 1, slot - 1)  # combinations that start with x here
                if rank < below:
                    break
                rank -= below
                x += 1
            result.append(x)
            x += 1
        return tuple(result)

    def combination_rank(self, combination: Sequence[int]) -> int:
        n, r = len(self.regression_ids), self.regressions_per_model
        combination = tuple(combination)
        if (
            len(combination) != r
            or list(combination) != sorted(set(combination))
            or not all(0 <= c < n for c in combination)
        ):
            raise ConfigSpaceError(f"{combination} is not an increasing {r}-combination of 0..{n - 1}")
        rank, x = 0, 0
        for slot, c in zip(range(r, 0, -1), combination, strict=False):
            for skipped in range(x, c):
                rank += comb(n - skipped - 1, slot - 1)
            x = c + 1
        return rank

    def config(self, index: int) -> Config:
        if not 0 <= index < len(self):
            raise ConfigSpaceError(f"config index {index} outside 0..{len(self) - 1}")
        rank, variant = divmod(index, self.variants)
        p, rest = divmod(variant, len(self.msfs) * len(self.msafs))
        f, a = divmod(rest, len(self.msafs))
        return Config(self.combination(rank), self.pcrs[p], self.msfs[f], self.msafs[a])

    def index(self, config: Config) -> int:
        try:
            p, f, a = self.pcrs.index(config.pcr), self.msfs.index(config.msf), self.msafs.index(config.msaf)
        except ValueError as error:
            raise ConfigSpaceError(f"{config} is not in this space") from error
        variant = (p * len(self.msfs) + f) * len(self.msafs) + a
        return self.combination_rank(config.combination) * self.variants + variant

    def configs(self, start: int = 0, stop: int | None = None) -> Iterator[tuple[int, Config]]:
        stop = len(self) if stop is None else stop
        for index in range(start, stop):
            yield index, self.config(index)

    # ----------------------------------------------------------------- minified form

    def minified(self, index: int) -> dict:
        """The original's ``IPredictionModelMinifiedConfig``: ``{pcr, msf, msaf, ri}``."""
        config = self.config(index)
        return {
            "pcr": config.pcr,
            "msf": config.msf,
            "msaf": config.msaf,
            "ri": [self.regression_ids[i] for i in config.combination],
        }

    def index_of_minified(self, minified: dict) -> int:
        position = {rid: i for i, rid in enumerate(self.regression_ids)}
        try:
            combination = tuple(position[rid] for rid in minified["ri"])
        except KeyError as error:
            raise ConfigSpaceError(f"regression {error} of {minified} is not in this space") from None
        return self.index(Config(combination, minified["pcr"], minified["msf"], minified["msaf"]))
