"""Fast prediction-model search: the same results as ``backtest_reference``, bit for bit.

Why it is fast:

* **Exits once per minute, not per config.** For a requirement ``pcr`` the exit of a long
  (or short) opened at minute ``m`` depends only on ``m``: the first later minute whose low/high
  reaches the stop-loss (tested first) or the take-profit. :class:`Market` computes that table
  once (numba, block-skipping scan), with the time in position, and the first minute after
  the idle time that follows each close; every config reuses them.
* **Signals per feature index, not per minute.** Within one prediction candle the signal only
  depends on ``k``, so a config's walk jumps: from "flat at minute m" to the first minute
  ``>= m`` whose ``k`` signals (``m`` itself, or the first minute of a later signalling ``k``),
  then straight to that entry's precomputed exit, then to the first minute after the idle time.
* **Shared work per combination.** Configs are ordered combination-major (see
  ``config_space``), so the sums, the discovery figures the min sums need (successful
  means and medians: linear-time selection in ``median.py``) and the trend/intensity scan are
  done once for the ``pcr x msf x msaf`` variants of a combination, the scan emitting each
  variant's list of signalling indexes; sums of consecutive combinations share their
  left-to-right prefixes.
* **Many combinations per call.** A chunk's combinations are split into blocks that numba
  threads take as they become free.

Floats are produced with the original's operations in its order (Python's left-to-right
``sum``, numpy's summation order for means, Python's ``round`` via ``rounding.py``), so the
performance records equal the reference's exactly.

The parts: ``market`` (the per-minute tables), ``kernels`` (one combination's signals, min-sum
statistics and walk), ``search`` (chunks of the config space), ``record`` (one config's record).
"""

from prediction_models.engine.backtest.kernels import (  # noqa: F401
    _candidates,
    _intensity,
    _largest_drawdown,
    _mean_median,
    _successful_stats,
    _walk,
)
from prediction_models.engine.backtest.market import Market, _trade_tables  # noqa: F401
from prediction_models.engine.backtest.record import backtest_record, feature_sums_array  # noqa: F401
from prediction_models.engine.backtest.search import (  # noqa: F401
    SUMMARY_DTYPE,
    SearchCancelled,
    Thresholds,
    _combinations,
    _search,
    _summary_dict,
    day_of_minute,
    evaluate_chunk,
    evaluate_chunk_returns,
    search_chunk,
)
