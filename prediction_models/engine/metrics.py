"""The backtest metrics of a built model, each declared once: where the certificate holds it, the
column that keeps it, how it is labelled, formatted and sorted.

Certificates, the model rows, the API's fields and ordering, the list's filters, columns and
cells all read ``MODEL_METRICS``. The certificate's keys are the Epoca contract's and are never
renamed (only added); ``field`` names the database column where it differs from the key.
Adding a metric that is shown and sortable: one entry here (its column is derived from it),
the engine computing it, and the migration of the column.

``SEARCH_MINIMUMS`` are the search's filter: a bound on a metric of every config tried. The
search's fields, its API fields, the chunk's spec, the engine's ``Thresholds`` and the pages'
filter text all read it; a new bound is one entry here, the search engine computing the metric
for every config (its summary's field ``key``), and the migration of the search's field.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from epochs.engine.epoch_params import PARAM


@dataclass(frozen=True)
class Metric:
    key: str  # the certificate's key (in ``section``)
    label: str
    section: str  # where the certificate holds it: "backtest", "metrics", "holdout.backtest", ... or "" (not in it)
    unit: str = ""
    digits: int | None = 2  # decimals shown; None: an integer count
    sortable: bool = True
    higher_is_better: bool = True
    field: str = ""  # the database column; empty: the same as the key
    minimum_filter: str = ""  # the list's "at least" filter label, when it has one
    count: bool = False  # the number of entries of the list at ``key`` (positions)
    nullable: bool = True  # the column may be empty (a model without a holdout, a ratio without variation)
    indexed: bool = False  # the column is indexed (sorted and filtered by often)
    compared: bool = True  # ranked by the Best/Worst badges (the market's own figures are not)
    added_later: bool = False  # certificates written before it lack it: their rows keep None

    @property
    def column(self) -> str:
        return self.field or self.key

    @property
    def heading(self) -> str:
        return f"{self.label} ({self.unit})" if self.unit else self.label

    def read(self, certificate: dict) -> Any:
        """The metric's value in a certificate (None where the certificate has no such section)."""
        if not self.section:
            raise ValueError(f"metric {self.key} is not in the certificate")
        node: Any = certificate
        for part in self.section.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        if node is None or (self.key not in node and self.added_later):
            return None
        value = node[self.key]
        return len(value) if self.count else value


MODEL_METRICS: tuple[Metric, ...] = (
    Metric("ebe_points", "EBE points", "", minimum_filter="EBE points ≥", indexed=True),
    Metric("profit", "Profit", "backtest", unit="USDT", minimum_filter="Profit ≥ (USDT)", nullable=False, indexed=True),
    Metric("accuracy", "Accuracy", "backtest", unit="%", minimum_filter="Accuracy ≥ (%)", nullable=False, indexed=True),
    Metric("positions", "Positions", "backtest", digits=None, count=True, minimum_filter="Positions ≥", nullable=False),
    # The original's signed figure (ORIGINAL.md §7.4): positive when the balance never fell.
    Metric(
        "largest_balance_drawdown", "Largest drawdown, closed (§7.4)", "backtest", unit="%", field="largest_drawdown"
    ),
    # The deepest fall of the balance marked to market (≤ 0), as the model page draws it.
    Metric(
        "marked_drawdown_pct",
        "Largest drawdown, marked to market",
        "metrics",
        unit="%",
        field="marked_drawdown",
        minimum_filter="Drawdown, marked to market ≥ (%)",
        added_later=True,
    ),
    Metric("profit_factor", "Profit factor", "metrics"),
    Metric("sharpe_ratio", "Sharpe", "metrics", field="sharpe"),
    Metric(
        "profit",
        "Holdout profit",
        "holdout.backtest",
        unit="USDT",
        field="holdout_profit",
        minimum_filter="Holdout profit ≥ (USDT)",
        indexed=True,
    ),
    Metric("accuracy", "Holdout accuracy", "holdout.backtest", unit="%", field="holdout_accuracy"),
    Metric("positions", "Holdout positions", "holdout.backtest", digits=None, count=True, field="holdout_positions"),
    Metric("buy_and_hold_pct", "Buy and hold", "metrics", unit="%", field="buy_and_hold", compared=False),
    # The selection period's discovery (the Epoca GUI orders models by them).
    Metric("points", "Discovery points", "discovery", field="discovery_points"),
    Metric("accuracy", "Discovery accuracy", "discovery", unit="%", field="discovery_accuracy"),
)
METRIC_BY_COLUMN: dict[str, Metric] = {m.column: m for m in MODEL_METRICS}
SORTABLE_COLUMNS: tuple[str, ...] = tuple(m.column for m in MODEL_METRICS if m.sortable)


@dataclass(frozen=True)
class SearchMinimum:
    """A bound of the search's filter on one metric (``column``) of every config it tries."""

    column: str  # the metric's column; the search summary's field is the metric's key
    # The original tool's bound (``Thresholds()``, and a search's default without an epoch
    # setting); None: no bound unless a search sets one (a bound added later: the searches
    # made before it keep none).
    original: float | None
    strict: bool = False  # greater than, not at least
    # The least value the metric can take (None: it depends on the settings): a bound at or
    # below it keeps every config.
    least: float | None = None
    # The least value is minus the initial balance (1.5 position sizes): a loss stops there.
    least_is_the_balance: bool = False

    @property
    def name(self) -> str:
        """The search's field, the chunk spec's key and the ``Thresholds`` argument (``min_<column>``)."""
        return f"min_{self.column}"

    @property
    def metric(self) -> Metric:
        return METRIC_BY_COLUMN[self.column]

    @property
    def integer(self) -> bool:
        return self.metric.digits is None

    @property
    def default(self) -> float | None:
        """A new search's bound: the epoch's setting's default where an epoch sets it."""
        return PARAM[self.name].default if self.name in PARAM else self.original

    def value(self, value: Any) -> float | int | None:
        if value is None:
            return None
        return int(value) if self.integer else float(value)

    def text(self, value: Any) -> str:
        return f"{self.metric.label.lower()} {'>' if self.strict else '≥'} {value}"

    def keeps_every_config(self, value: Any, position_size: float | None) -> bool:
        """True when the bound ``value`` rejects no config (no bound, or one at or below the least value)."""
        if value is None:
            return True
        least = -round(position_size * 1.5, 2) if self.least_is_the_balance and position_size else self.least
        return least is not None and (float(value) < least if self.strict else float(value) <= least)


# In the order ``Thresholds`` takes them positionally.
SEARCH_MINIMUMS: tuple[SearchMinimum, ...] = (
    SearchMinimum("accuracy", 55.0, least=0.0),
    SearchMinimum("profit", 0.0, strict=True, least_is_the_balance=True),
    SearchMinimum("positions", 0, least=0),  # the original: any number of positions
)


def search_minimums_of(settings: Any) -> dict[str, float | int | None]:
    """The filter's bounds held by ``settings`` (a search, or an epoch where it sets them), by name."""
    return {b.name: b.value(getattr(settings, b.name, b.default)) for b in SEARCH_MINIMUMS}


def search_filter_text(settings: Any) -> str:
    """``accuracy ≥ 55.0, profit > 0.0 and positions ≥ 30``: the filter of a search or an epoch."""
    values = [(b, getattr(settings, b.name, b.default)) for b in SEARCH_MINIMUMS]
    parts = [b.text(value) for b, value in values if value is not None]
    return " and ".join([", ".join(parts[:-1]), parts[-1]]) if len(parts) > 1 else "".join(parts)


def filter_keeps_every_config(settings: Any, position_size: float | None) -> bool:
    """True when no bound of the filter of ``settings`` (a search or an epoch) rejects a config
    (the demo's "keep every config")."""
    return all(b.keeps_every_config(getattr(settings, b.name, b.default), position_size) for b in SEARCH_MINIMUMS)


def certificate_columns(certificate: dict) -> dict[str, Any]:
    """The model row's metric columns, read from its certificate."""
    return {m.column: m.read(certificate) for m in MODEL_METRICS if m.section}


def profit_factor_or_nan(gross_wins: float, gross_losses: float) -> float:
    """Gross wins / gross losses; NaN without a loss.

    The one computation of the profit factor: the search kernel compiles this very function
    with numba (``backtest.kernels._profit_factor``), the certificates call it through
    :func:`profit_factor`, so it must stay plain arithmetic numba can compile."""
    return gross_wins / gross_losses if gross_losses > 0 else math.nan


def profit_factor(gross_wins: float, gross_losses: float) -> float | None:
    """Gross wins / gross losses; None without a loss (Epoca cannot parse Infinity)."""
    return none_if_nan(profit_factor_or_nan(gross_wins, gross_losses))


def none_if_nan(value: float) -> float | None:
    """A kernel's NaN (a factor without a loss) as the certificates and rows keep it: None."""
    return None if math.isnan(value) else value


def formatted(metric: Metric, value: Any, *, positions: int | None = None) -> str:
    """A metric's value as the pages show it: "—" without one, "∞" for a factor without a loss."""
    if value is None:
        return "∞" if metric.key == "profit_factor" and positions else "—"
    if metric.digits is None:
        return f"{int(value)}"
    return f"{float(value):.{metric.digits}f}"
