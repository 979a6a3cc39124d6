"""The epoch's row ranges: training, purge, and the test range split into selection and holdout.

Rows are prediction candles of the epoch (``0 .. rows``). The test range starts at
``test_row = int(rows * train_split)`` (the original's ``test_ds_start``). With the purge,
training windows whose targets reach ``test_row`` are dropped, so no training target overlaps
the range the prediction models trade in. The test range is split by rows: the first
``1 - holdout_share`` of it is the *selection* period (min sums, the profitability filter and
the ranking use only it), the rest the untouched *holdout* period.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EpochRanges:
    rows: int
    train_end: int  # training windows decide at rows < train_end
    test_row: int
    holdout_row: int  # first row of the holdout period (== rows when holdout_share is 0)

    @property
    def has_holdout(self) -> bool:
        return self.holdout_row < self.rows


def epoch_ranges(
    *, rows: int, train_split: float, lookback: int, predictions: int, holdout_share: float, purge: bool
) -> EpochRanges:
    test_row = int(rows * train_split)
    # A window deciding at row i reads rows i - lookback .. i - 1 and targets i .. i + predictions - 1.
    # The original cuts the window array at test_row, so its last window decides at
    # test_row + lookback - 1 (its targets reach into the test range); the purge keeps only
    # windows whose targets end before test_row.
    train_end = test_row - predictions + 1 if purge else test_row + lookback
    holdout_row = test_row + round((rows - test_row) * (1 - holdout_share)) if holdout_share > 0 else rows
    return EpochRanges(rows=rows, train_end=max(0, train_end), test_row=test_row, holdout_row=min(rows, holdout_row))
