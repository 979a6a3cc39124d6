"""Gap report: where candles are missing. Gaps are reported, never filled."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .candles import MINUTE_MS
from .errors import EpochError
from .klines import utc


@dataclass(frozen=True)
class Gap:
    """Missing candles between two present ones.

    ``start`` is the first missing open time, ``end`` the last missing millisecond (the next
    present candle opens at ``end + 1``); ``minutes`` is the missing time in minutes.
    """

    start: int
    end: int
    minutes: int

    def to_dict(self) -> dict:
        return {"start": self.start, "end": self.end, "minutes": self.minutes}


@dataclass(frozen=True)
class GapReport:
    count: int
    missing_minutes: int
    longest: Gap | None
    gaps: tuple[Gap, ...]

    def to_dict(self) -> dict:
        return {
            "count": self.count,
            "missing_minutes": self.missing_minutes,
            "longest": self.longest.to_dict() if self.longest else None,
            "gaps": [gap.to_dict() for gap in self.gaps],
        }


def find_gaps(ot: np.ndarray, interval_ms: int = MINUTE_MS) -> list[Gap]:
    """Gaps in a sorted series of interval-aligned open times."""
    ot = np.asarray(ot, dtype=np.int64)
    after = np.flatnonzero(np.diff(ot) > interval_ms)
    return [
        Gap(
            start=int(ot[i]) + interval_ms,
            end=int(ot[i + 1]) - 1,
            minutes=int(ot[i + 1] - ot[i] - interval_ms) // MINUTE_MS,
        )
        for i in after
    ]


def gap_report(gaps: list[Gap]) -> GapReport:
    gaps = sorted(gaps, key=lambda gap: gap.start)
    longest = max(gaps, key=lambda gap: gap.minutes, default=None)
    return GapReport(count=len(gaps), missing_minutes=sum(g.minutes for g in gaps), longest=longest, gaps=tuple(gaps))


def check_longest(report: GapReport, max_gap_minutes: int) -> None:
    """Refuse candles whose longest gap exceeds ``max_gap_minutes`` (smoothing would bridge it)."""
    longest = report.longest
    if longest is not None and longest.minutes > max_gap_minutes:
        raise EpochError(
            f"the candles inside the epoch's range miss {longest.minutes} minutes from {utc(longest.start)} to "
            f"{utc(longest.end + 1)}, longer than max_gap_minutes {max_gap_minutes} ({report.count} gaps, "
            f"{report.missing_minutes} minutes in all): end the epoch before it (data_end), or raise max_gap_minutes "
            "to accept it on purpose"
        )


def receipt_lines(report: GapReport, *, format_utc: Callable[[int], str]) -> str:
    """The receipt's gap section: every gap inside the range, after the original's lines."""
    lines = ["", "Gaps In The 1-Minute Candles", f"Count: {report.count}", f"Missing Minutes: {report.missing_minutes}"]
    if report.longest is not None:
        lines.append(f"Longest: {report.longest.minutes} minutes from {format_utc(report.longest.start)}")
    lines.extend(f"{format_utc(gap.start)} to {format_utc(gap.end + 1)}: {gap.minutes} minutes" for gap in report.gaps)
    return "\n".join(lines) + "\n"
