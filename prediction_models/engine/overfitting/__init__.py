"""How likely a search's winner is luck: DSR, PBO (CSCV), SPA and a null baseline.

Pure numpy/scipy/arch code, fed chunk by chunk (``OverfittingAccumulator``); see
``docs/statistics.md``.
"""

from prediction_models.engine.overfitting.accumulator import (
    OverfittingAccumulator,
    row_keys,
)
from prediction_models.engine.overfitting.dsr import (
    DeflatedSharpe,
    deflated_sharpe,
    deflated_sharpe_from_moments,
)
from prediction_models.engine.overfitting.null import day_block_permutation, feature_day_permutation, null_pass_rates
from prediction_models.engine.overfitting.pbo import PBOResult, pbo, total_return
from prediction_models.engine.overfitting.returns import (
    buy_and_hold_returns,
    daily_returns,
    day_starts,
)
from prediction_models.engine.overfitting.spa import spa_pvalues
from prediction_models.engine.overfitting.summary import (
    NOT_AVAILABLE,
    OverfittingSummary,
    VerdictThresholds,
    json_safe,
    verdict,
)

__all__ = [
    "NOT_AVAILABLE",
    "DeflatedSharpe",
    "OverfittingAccumulator",
    "OverfittingSummary",
    "PBOResult",
    "VerdictThresholds",
    "buy_and_hold_returns",
    "daily_returns",
    "day_block_permutation",
    "day_starts",
    "deflated_sharpe",
    "deflated_sharpe_from_moments",
    "feature_day_permutation",
    "json_safe",
    "null_pass_rates",
    "pbo",
    "row_keys",
    "spa_pvalues",
    "total_return",
    "verdict",
]
