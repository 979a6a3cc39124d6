import hashlib
import struct
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from epochs.engine.candles import Candles
from epochs.engine.epoch import (
    EPOCH_JSON_KEYS,
    build_epoch_candles,
    candles_in_range,
    data_fingerprint,
    epoch_json,
    read_epoch_candles,
    receipt_text,
    window_split,
    write_epoch_candles,
)
from epochs.engine.epoch_params import EpochParams
from epochs.engine.errors import EpochError
from epochs.engine.resample import resample
from testing.candle_dumps import month_zip

MONTHS = [f"{year}-{month:02d}" for year in range(2021, 2025) for month in range(1, 13)]
ORIGINAL = {"epoch_width": 48, "sma_window_size": 25, "train_split": 0.75}


@pytest.fixture(scope="module")
def one_minute(mirror) -> pd.DataFrame:
    """2021-2024 closes read with plain pandas (no validation): enough for a 48-month epoch."""
    frames = [
        pd.read_csv(month_zip(mirror, m), header=None, usecols=[0, 4, 6], names=["ot", "c", "ct"], engine="pyarrow")
        for m in MONTHS
    ]
    return pd.concat(frames, ignore_index=True)


def candles_of(frame: pd.DataFrame) -> Candles:
    close = frame.c.to_numpy()  # only closes and times matter to the epoch math
    return Candles(frame.ot.to_numpy(), frame.ct.to_numpy(), close, close, close, close, np.zeros(len(frame)))


@pytest.fixture(scope="module")
def epoch(one_minute):
    candles = candles_of(one_minute)
    return build_epoch_candles(candles, resample(candles, 15).candles, **ORIGINAL)


def test_candles_in_range_as_documented():
    assert candles_in_range(48, 15) == 138_240
    assert candles_in_range(48, 30) == 69_120
    assert candles_in_range(1.5, 15) == 4320


def test_48_month_epoch_matches_independent_pandas(one_minute, epoch):
    indexed = one_minute.set_index(pd.to_datetime(one_minute.ot, unit="ms"))
    buckets = indexed.c.resample("15min").agg(["last", "count"])
    closes = buckets[buckets["count"] > 0]["last"]
    sma = closes.rolling(25).mean().iloc[-138_240:]
    ot = sma.index.astype("int64") // 10**6

    assert epoch.rows == 138_240
    assert epoch.start == ot[0]
    assert epoch.end == ot[-1] + 15 * 60_000 - 1 == one_minute.ct.iloc[-1]
    assert epoch.test_ds_start == ot[int(138_240 * 0.75)]
    assert epoch.test_ds_end == epoch.end
    assert epoch.highest_price_sma == pytest.approx(sma.max(), rel=1e-12)
    assert epoch.lowest_price_sma == pytest.approx(sma.min(), rel=1e-12)
    kept = (one_minute.ot >= epoch.start) & (one_minute.ct <= epoch.end)
    assert len(epoch.candles_1m) == kept.sum()
    assert epoch.candles_1m.ot[0] == one_minute.ot[kept].iloc[0]

    normalized = ((sma - sma.min()) / (sma.max() - sma.min())).to_numpy()
    normalized[normalized == 0] = np.sort(np.unique(normalized))[1]
    np.testing.assert_allclose(epoch.normalized, normalized, rtol=1e-12)
    assert epoch.normalized.min() > 0 and epoch.normalized.max() == 1


def test_epoch_wider_than_data_refused(one_minute):
    candles = candles_of(one_minute.iloc[: 44_640 * 6])
    with pytest.raises(EpochError, match="needs 138240 prediction candles .* holds only .* wider than the data"):
        build_epoch_candles(candles, resample(candles, 15).candles, **ORIGINAL)


def test_sma_needs_candles_before_the_start(one_minute):
    prediction = resample(candles_of(one_minute.iloc[:50_000]), 15).candles
    exact = prediction.take(slice(0, candles_in_range(1, 15) + 10))  # 10 of the 24 warm-up rows
    with pytest.raises(
        EpochError, match="SMA of 25 candles needs 24 prediction candles before the epoch start; the data holds only 10"
    ):
        build_epoch_candles(candles_of(one_minute), exact, epoch_width=1, sma_window_size=25, train_split=0.75)


@pytest.mark.parametrize(
    "rows, split, lookback, predictions", [(1000, 0.75, 128, 32), (500, 0.6, 32, 64), (140, 0.9, 100, 32)]
)
def test_window_split_purge_by_enumeration(rows, split, lookback, predictions):
    result = window_split(rows, split, lookback, predictions)
    windows = [(i - lookback, i, i + predictions) for i in range(lookback, rows - predictions)]  # (x start, i, y end)
    test_row = int(rows * split)
    assert result.window_count == len(windows)
    reaching = [j for j, (_, _, y_end) in enumerate(windows[:test_row]) if y_end > test_row]
    assert result.purged_train_end == (reaching[0] if reaching else min(test_row, len(windows)))
    assert result.purged_windows == len(reaching)


def test_fingerprint_follows_the_documented_layout():
    small = Candles([0, 60_000], [59_999, 119_999], [1.0, 2.0], [1.5, 2.5], [0.5, 1.5], [1.25, 2.25], [10.0, 20.0])
    digest = hashlib.sha256()
    for candles in (small, small.take(slice(0, 1))):
        digest.update(struct.pack("<q", len(candles)))
        for column in ("ot", "ct"):
            digest.update(struct.pack(f"<{len(candles)}q", *getattr(candles, column)))
        for column in ("o", "h", "l", "c", "v"):
            digest.update(struct.pack(f"<{len(candles)}d", *getattr(candles, column)))
    assert data_fingerprint(small, small.take(slice(0, 1))) == digest.hexdigest()
    changed = Candles(small.ot, small.ct, small.o, small.h, small.l, [1.25, 2.26], small.v)
    assert data_fingerprint(changed, small.take(slice(0, 1))) != digest.hexdigest()


def test_epoch_json_keys_and_values(epoch):
    params = EpochParams(id="_TEST", seed=60184, sma_window_size=25, train_split=0.75)
    document = epoch_json(params, epoch)
    assert (
        tuple(document)
        == EPOCH_JSON_KEYS
        == (
            "seed",
            "id",
            "sma_window_size",
            "train_split",
            "validation_split",
            "start",
            "end",
            "test_ds_start",
            "test_ds_end",
            "highest_price_sma",
            "lowest_price_sma",
            "regression_lookback",
            "regression_predictions",
            "exchange_fee",
            "position_size",
            "leverage",
            "idle_minutes_on_position_close",
        )
    )
    assert document["start"] == epoch.start and document["test_ds_start"] == epoch.test_ds_start
    assert document["position_size"] == 10000 and isinstance(document["position_size"], int)
    assert document["train_split"] == 0.75 and document["exchange_fee"] == 0.065


def test_receipt_dates_are_utc(epoch):
    params = EpochParams(id="_TEST")
    text = receipt_text(params, epoch, datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC))
    start = datetime.fromtimestamp(epoch.start / 1000, tz=UTC).strftime("%d/%m/%Y, %H:%M:%S")
    assert text.startswith("_TEST\n")
    assert "Creation: 06/05/2024, 07:08:09 UTC" in text
    assert f"Start: {start} UTC" in text
    assert "Exchange Fee: 0.065%" in text and "Position Size: $10000" in text and "Leverage: 3x" in text


def test_epoch_candles_written_and_read_back(one_minute, tmp_path):
    candles = candles_of(one_minute.iloc[-50_000:])
    epoch = build_epoch_candles(
        candles, resample(candles, 30).candles, epoch_width=1, sma_window_size=10, train_split=0.8, interval_minutes=30
    )
    digests = write_epoch_candles(epoch, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(digests)
    assert (
        digests["candlesticks.parquet"] == hashlib.sha256((tmp_path / "candlesticks.parquet").read_bytes()).hexdigest()
    )
    one_minute, prediction, normalized = read_epoch_candles(tmp_path)
    np.testing.assert_array_equal(one_minute.ot, epoch.candles_1m.ot)
    np.testing.assert_array_equal(prediction.c, epoch.prediction.c)
    np.testing.assert_array_equal(normalized, epoch.normalized)
    assert data_fingerprint(one_minute, prediction) == data_fingerprint(epoch.candles_1m, epoch.prediction)


def test_bounds_from_the_rows_before_the_holdout_ignore_later_prices():
    """The default preset's bounds: the SMA's range over the first ``bounds_rows`` rows only."""
    minutes = 24 * 60 * 31
    ot = 1_700_000_000_000 // 60_000 * 60_000 + np.arange(minutes, dtype=np.int64) * 60_000
    price = 30_000 + 2_000 * np.sin(np.arange(minutes) / 5_000)

    def built(close, bounds_rows):
        candles = Candles(ot, ot + 59_999, close, close, close, close, np.zeros(minutes))
        return build_epoch_candles(
            candles,
            resample(candles, 15).candles,
            epoch_width=1,
            sma_window_size=25,
            train_split=0.75,
            bounds_rows=bounds_rows,
        )

    whole = built(price, None)
    first = built(price, 2700)
    assert (whole.highest_price_sma, whole.lowest_price_sma) == (whole.sma.max(), whole.sma.min())
    assert (first.highest_price_sma, first.lowest_price_sma) == (first.sma[:2700].max(), first.sma[:2700].min())
    assert np.all((first.normalized[:2700] > 0) & (first.normalized[:2700] <= 1))
    np.testing.assert_array_equal(
        first.normalized[2700:],
        (first.sma[2700:] - first.lowest_price_sma) / (first.highest_price_sma - first.lowest_price_sma),
    )
    # Prices after row 2700 (x 1.5 there) change neither the bounds nor the rows before it.
    later = ot >= int(first.prediction.ot[2700])
    moved = built(np.where(later, price * 1.5, price), 2700)
    assert (moved.highest_price_sma, moved.lowest_price_sma) == (first.highest_price_sma, first.lowest_price_sma)
    np.testing.assert_array_equal(moved.normalized[:2700], first.normalized[:2700])
    assert moved.normalized[2700:].max() > 1  # Epoca refuses to predict from there
    with pytest.raises(EpochError, match="normalisation bounds need 2 to 2880 rows"):
        built(price, 1)
