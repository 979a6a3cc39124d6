from epochs.engine.ranges import epoch_ranges


def brute_force_last_training_decision_row(rows, train_split, lookback, predictions, purge):
    test_row = int(rows * train_split)
    kept = []
    for j in range(rows - lookback - predictions):
        i = j + lookback
        if j >= test_row:  # the original cuts the window array at test_row
            continue
        if purge and i + predictions - 1 >= test_row:
            continue
        kept.append(i)
    return max(kept)


def test_training_end_matches_the_windows_kept():
    for purge in (True, False):
        ranges = epoch_ranges(
            rows=2880, train_split=0.75, lookback=128, predictions=32, holdout_share=0.25, purge=purge
        )
        assert ranges.train_end - 1 == brute_force_last_training_decision_row(2880, 0.75, 128, 32, purge)


def test_holdout_is_the_last_share_of_the_test_range():
    ranges = epoch_ranges(rows=1000, train_split=0.6, lookback=32, predictions=32, holdout_share=0.25, purge=True)
    assert (ranges.test_row, ranges.holdout_row, ranges.has_holdout) == (600, 900, True)
    none = epoch_ranges(rows=1000, train_split=0.6, lookback=32, predictions=32, holdout_share=0, purge=False)
    assert none.holdout_row == 1000 and not none.has_holdout
