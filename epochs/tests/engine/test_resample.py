import numpy as np
import pandas as pd
import pytest

from epochs.engine.candles import Candles
from epochs.engine.resample import resample
from testing.candle_dumps import month_zip, plain_read


@pytest.fixture(scope="module")
def february(mirror) -> pd.DataFrame:
    return plain_read([month_zip(mirror, "2020-02")])  # two gaps, one inside a 15-minute bucket


def candles_of(frame: pd.DataFrame) -> Candles:
    return Candles(*(frame[column].to_numpy() for column in ("ot", "ct", "o", "h", "l", "c", "v")))


@pytest.mark.parametrize("minutes", [15, 30])
def test_resample_matches_pandas(february, minutes):
    result = resample(candles_of(february), minutes)
    indexed = february.set_index(pd.to_datetime(february.ot, unit="ms"))
    expected = indexed.resample(f"{minutes}min").agg(
        {"o": "first", "h": "max", "l": "min", "c": "last", "v": "sum", "ot": "count"}
    )
    expected = expected[expected.ot > 0]  # pandas makes empty buckets for gaps; they must not exist
    got = result.candles
    np.testing.assert_array_equal(got.ot, expected.index.astype("int64") // 10**6)
    np.testing.assert_array_equal(got.ct, got.ot + minutes * 60_000 - 1)
    for column in ("o", "h", "l", "c"):
        np.testing.assert_array_equal(getattr(got, column), expected[column].to_numpy())
    np.testing.assert_allclose(got.v, expected.v.to_numpy(), rtol=1e-12)
    np.testing.assert_array_equal(result.minutes, expected.ot.to_numpy())
    assert result.partial == (expected.ot < minutes).sum() > 0


def test_rejects_other_intervals(february):
    with pytest.raises(ValueError, match="one of \\(15, 30\\) minutes, not 60"):
        resample(candles_of(february), 60)
