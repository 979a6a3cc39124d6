import numpy as np
import pandas as pd
import pytest

from epochs.engine.errors import CandleValidationError, CorruptArchiveError
from epochs.engine.klines import parse_binance_csv, parse_bundle_csv, read_bundle, read_zip_member
from testing.candle_dumps import month_csv_lines, month_zip, plain_read, zip_bytes

HEAD = 3000  # lines of a real month used by the small synthetic cases


@pytest.fixture(scope="module")
def march(mirror) -> list[bytes]:
    return month_csv_lines(mirror, "2020-03")[:HEAD]


def parse(lines: list[bytes], **kwargs):
    return parse_binance_csv(b"\n".join(lines), "BTCUSDT-1m-2020-03.csv", **kwargs)


def rejected(lines: list[bytes]) -> CandleValidationError:
    with pytest.raises(CandleValidationError) as caught:
        parse(lines)
    return caught.value


def test_real_month_matches_plain_pandas(mirror):
    path = month_zip(mirror, "2021-02")
    parsed = parse_binance_csv(read_zip_member(path.read_bytes(), path.name), path.name, month="2021-02")
    expected = plain_read([path])
    assert parsed.unit == "ms"
    assert len(parsed.candles) == len(expected)
    for column in ("ot", "ct", "o", "h", "l", "c", "v"):
        np.testing.assert_array_equal(getattr(parsed.candles, column), expected[column].to_numpy())


def test_short_candles_are_flagged_where_plain_pandas_finds_them(mirror):
    for month in ("2020-02", "2021-12"):
        path = month_zip(mirror, month)
        parsed = parse_binance_csv(read_zip_member(path.read_bytes(), path.name), path.name)
        frame = plain_read([path])
        short = frame.index[frame.ct - frame.ot != 59_999]
        assert [flag.line for flag in parsed.flags] == [int(i) + 1 for i in short]
        for flag, i in zip(parsed.flags, short, strict=False):
            followed_by_gap = i == len(frame) - 1 or frame.ot[i + 1] - frame.ot[i] > 60_000
            assert flag.kind == ("short_candle_before_gap" if followed_by_gap else "short_candle")
    # 2021-12 holds an early-closed candle with no gap after it; 2020-02 one before a gap
    assert {flag.kind for flag in parsed.flags} == {"short_candle"}


def test_eleven_columns_rejected_with_line(march):
    lines = list(march)
    lines[99] = b",".join(lines[99].split(b",")[:11])
    error = rejected(lines)
    assert (error.line, error.rule) == (100, "expected 12 columns, found 11")
    assert "BTCUSDT-1m-2020-03.csv, line 100" in str(error)


def test_whole_file_with_eleven_columns_rejected(march):
    error = rejected([b",".join(line.split(b",")[:11]) for line in march])
    assert error.line == 1 and "found 11" in error.rule


def test_non_numeric_value_rejected(march):
    lines = list(march)
    lines[41] = lines[41].replace(b",", b",abc", 1)
    error = rejected(lines)
    assert error.line == 42 and "column o" in error.rule and "not a number" in error.rule


def test_duplicated_row_rejected(march):
    lines = list(march)
    lines.insert(500, lines[499])
    error = rejected(lines)
    assert error.line == 501 and error.rule.startswith("duplicate open time") and "line 500" in error.rule


def test_unordered_rows_rejected(march):
    lines = list(march)
    lines[200], lines[201] = lines[201], lines[200]
    error = rejected(lines)
    assert error.line == 202 and "out of order" in error.rule


def test_overlapping_candle_rejected(march):
    lines = list(march)
    fields = lines[10].split(b",")
    fields[6] = str(int(fields[0]) + 2 * 60_000 - 1).encode()
    lines[10] = b",".join(fields)
    error = rejected(lines)
    assert error.line == 11 and "overlaps the next candle" in error.rule


def test_missing_value_rejected(march):
    lines = list(march)
    fields = lines[7].split(b",")
    fields[4] = b"NaN"
    lines[7] = b",".join(fields)
    error = rejected(lines)
    assert error.line == 8 and "column c" in error.rule


def test_low_above_close_rejected(march):
    lines = list(march)
    fields = lines[5].split(b",")
    fields[3] = str(float(fields[4]) + 1).encode()
    lines[5] = b",".join(fields)
    error = rejected(lines)
    assert error.line == 6 and error.rule.startswith("low")


def with_times(lines: list[bytes], convert) -> list[bytes]:
    out = []
    for line in lines:
        fields = line.split(b",")
        fields[0], fields[6] = (str(v).encode() for v in convert(int(fields[0]), int(fields[6])))
        out.append(b",".join(fields))
    return out


@pytest.mark.parametrize(
    "unit, convert",
    [("us", lambda ot, ct: (ot * 1000, ct * 1000 + 999)), ("s", lambda ot, ct: (ot // 1000, ct // 1000))],
)
def test_timestamp_unit_detected_and_converted(march, unit, convert):
    expected = parse(march).candles
    raw = zip_bytes("BTCUSDT-1m-2020-03.csv", b"\n".join(with_times(march, convert)))
    parsed = parse_binance_csv(read_zip_member(raw, "BTCUSDT-1m-2020-03.zip"), "BTCUSDT-1m-2020-03.csv")
    assert parsed.unit == unit
    np.testing.assert_array_equal(parsed.candles.ot, expected.ot)
    np.testing.assert_array_equal(parsed.candles.ct, expected.ct)


def test_unknown_timestamp_unit_rejected(march):
    error = rejected(with_times(march, lambda ot, ct: (ot * 10, ct * 10)))
    assert error.line == 1 and "no known timestamp unit" in error.rule


def test_mixed_timestamp_units_rejected(march):
    lines = list(march)
    lines[300:301] = with_times(lines[300:301], lambda ot, ct: (ot * 1000, ct * 1000))
    error = rejected(lines)
    assert error.line == 301 and "timestamp unit (ms)" in error.rule


def test_truncated_zip_rejected(mirror):
    data = month_zip(mirror, "2020-03").read_bytes()
    with pytest.raises(CorruptArchiveError, match="BTCUSDT-1m-2020-03.zip: truncated or damaged"):
        read_zip_member(data[: len(data) // 2], "BTCUSDT-1m-2020-03.zip")


def test_month_rule_rejects_candle_of_another_month(march):
    with pytest.raises(CandleValidationError, match="line 1: candle at 2020-03-01T.* outside the file's month 2020-04"):
        parse(march, month="2020-04")


# ----------------------------------------------------------------------------------------------
# The original's bundle


@pytest.fixture(scope="module")
def bundle_frames(mirror):
    one_minute = plain_read([month_zip(mirror, "2020-02")])[["ot", "ct", "o", "h", "l", "c", "v"]]
    index = pd.to_datetime(one_minute.ot, unit="ms")
    grouped = one_minute.set_index(index).resample("15min")
    prediction = grouped.agg({"ot": "first", "o": "first", "h": "max", "l": "min", "c": "last", "v": "sum"}).dropna()
    prediction["ot"] = prediction.index.astype("int64") // 10**6
    prediction["ct"] = prediction.ot + 15 * 60_000 - 1
    return one_minute, prediction[["ot", "ct", "o", "h", "l", "c", "v"]].reset_index(drop=True)


def bundle_csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False, lineterminator="\n").rstrip("\n").encode()


def test_bundle_folder_and_zip(tmp_path, bundle_frames):
    one_minute, prediction = bundle_frames
    folder = tmp_path / "candlesticks"
    folder.mkdir()
    (folder / "candlesticks.csv").write_bytes(bundle_csv(one_minute))
    (folder / "prediction_candlesticks.csv").write_bytes(bundle_csv(prediction))
    archive = tmp_path / "bundle.zip"
    with __import__("zipfile").ZipFile(archive, "w") as z:
        z.write(folder / "candlesticks.csv", "candlesticks/candlesticks.csv")
        z.write(folder / "prediction_candlesticks.csv", "candlesticks/prediction_candlesticks.csv")
    for path in (folder, tmp_path, archive):
        bundle = read_bundle(path)
        assert bundle.prediction_interval_minutes == 15
        assert len(bundle.candles_1m.candles) == len(one_minute)
        np.testing.assert_array_equal(bundle.prediction.candles.c, prediction.c.to_numpy())
        np.testing.assert_array_equal(bundle.candles_1m.candles.v, one_minute.v.to_numpy())


def test_bundle_header_and_rows_checked(bundle_frames):
    one_minute, _ = bundle_frames
    with pytest.raises(
        CandleValidationError, match=r"line 1: header must name the columns ot,ct,o,h,l,c,v; missing \['v'\]"
    ):
        parse_bundle_csv(bundle_csv(one_minute.drop(columns="v")), "candlesticks.csv", interval_ms=60_000)
    doubled = pd.concat([one_minute.iloc[:10], one_minute.iloc[9:20]])
    with pytest.raises(CandleValidationError, match="candlesticks.csv, line 12: duplicate open time"):
        parse_bundle_csv(bundle_csv(doubled), "candlesticks.csv", interval_ms=60_000)


def test_binance_header_line_skipped_and_counted(march):
    header = b"open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore"
    parsed = parse([header, *march])
    assert len(parsed.candles) == len(march)
    lines = [header, *march]
    lines.insert(11, lines[10])
    error = rejected(lines)
    assert error.line == 12 and "duplicate open time" in error.rule
