import json
import shutil
from datetime import date

import numpy as np
import pandas as pd
import pytest

from epochs.engine.binance import LocalSource
from epochs.engine.errors import (
    CandleValidationError,
    ChecksumMismatchError,
    ChecksumMissingError,
    CorruptArchiveError,
    StoreError,
)
from epochs.engine.store import (
    UnitConversion,
    import_binance,
    import_bundle,
    load_candles,
    load_prediction_candles,
    read_manifest,
    verify_store,
)
from testing.candle_dumps import (
    DAILY,
    MONTHLY,
    link_month,
    month_csv_lines,
    month_zip,
    plain_read,
    put_dump,
    snapshot,
    zip_bytes,
)

MONTHS = ["2020-01", "2020-02", "2020-03"]


@pytest.fixture(scope="module")
def imported(mirror, tmp_path_factory):
    store = tmp_path_factory.mktemp("store") / "btc"
    report = import_binance(LocalSource(mirror), store, "2020-01", "2020-03")
    return store, report


@pytest.fixture(scope="module")
def january_store(mirror, tmp_path_factory):
    store = tmp_path_factory.mktemp("january") / "btc"
    import_binance(LocalSource(mirror), store, "2020-01", "2020-01")
    return store


def test_import_matches_plain_pandas(imported, mirror):
    store, report = imported
    expected = plain_read([month_zip(mirror, m) for m in MONTHS])
    assert report.months_imported == tuple(MONTHS)
    assert report.candles_imported == report.candles_total == len(expected)
    assert (report.first_ot, report.last_ct) == (expected.ot.iloc[0], expected.ct.iloc[-1])
    candles = load_candles(store)
    for column in ("ot", "ct", "o", "h", "l", "c", "v"):
        np.testing.assert_array_equal(getattr(candles, column), expected[column].to_numpy())
    manifest = read_manifest(store)
    assert [manifest["months"][m]["rows"] for m in MONTHS] == [len(plain_read([month_zip(mirror, m)])) for m in MONTHS]
    assert verify_store(store) == []


def test_load_time_range(imported):
    store, _ = imported
    start, end = 1580515200000, 1583020800000 - 1  # February 2020, UTC
    candles = load_candles(store, start, end)
    assert candles.ot[0] >= start and candles.ct[-1] <= end
    everything = load_candles(store).to_frame()
    assert len(candles) == ((everything.ot >= start) & (everything.ct <= end)).sum()


def independent_gaps(ot: pd.Series) -> list[tuple[int, int, int]]:
    step = ot.diff()
    return [
        (int(ot[i - 1] + 60_000), int(ot[i] - 1), int((step[i] - 60_000) // 60_000)) for i in ot.index[step > 60_000]
    ]


def test_gap_report_matches_independent_computation(imported, mirror):
    store, report = imported
    february = independent_gaps(plain_read([month_zip(mirror, "2020-02")]).ot)
    assert len(february) == 2  # exchange maintenance: 2020-02 misses hours of candles
    stored = read_manifest(store)["months"]["2020-02"]["gaps"]
    assert [(g["start"], g["end"], g["minutes"]) for g in stored] == february
    everything = independent_gaps(plain_read([month_zip(mirror, m) for m in MONTHS]).ot)
    assert report.gaps.count == len(everything)
    assert report.gaps.missing_minutes == sum(g[2] for g in everything)
    longest = max(everything, key=lambda g: g[2])
    assert (report.gaps.longest.start, report.gaps.longest.end, report.gaps.longest.minutes) == longest
    assert [flag.kind for flag in report.flags] == ["short_candle_before_gap", "short_candle_before_gap"]


def test_resume_skips_verified_months_and_repairs_damaged_ones(imported, mirror, tmp_path):
    store = tmp_path / "btc"
    shutil.copytree(imported[0], store)
    before = snapshot(store)
    report = import_binance(LocalSource(mirror), store, "2020-01", "2020-04")
    assert report.months_skipped == tuple(MONTHS) and report.months_imported == ("2020-04",)
    after = snapshot(store)
    assert all(after[name] == data for name, data in before.items() if name.startswith("1m/"))

    damaged = store / read_manifest(store)["months"]["2020-02"]["file"]
    damaged.write_bytes(b"not parquet")
    assert verify_store(store) == ["2020-02"]
    report = import_binance(LocalSource(mirror), store, "2020-01", "2020-04")
    assert report.months_repaired == ("2020-02",) and report.months_imported == ("2020-02",)
    assert verify_store(store) == []
    assert len(load_candles(store)) == report.candles_total


# ----------------------------------------------------------------------------------------------
# A failed import keeps the months committed before the failure and nothing of the failed one


def bad_month(lines: list[bytes], case: str) -> tuple[bytes, str | None]:
    """(zip bytes, checksum or None for the right one) of a broken 2020-03."""
    lines = list(lines)
    if case == "eleven_columns":
        lines[99] = b",".join(lines[99].split(b",")[:11])
    elif case == "duplicated_rows":
        lines.insert(500, lines[499])
    elif case == "unordered_rows":
        lines[200], lines[201] = lines[201], lines[200]
    elif case == "unknown_unit":
        lines = [
            b",".join([str(int(f[0]) * 10).encode(), *f[1:6], str(int(f[6]) * 10).encode(), *f[7:]])
            for f in (line.split(b",") for line in lines)
        ]
    elif case == "overlapping_candle":
        fields = lines[10].split(b",")
        fields[6] = str(int(fields[0]) + 90_000).encode()
        lines[10] = b",".join(fields)
    data = zip_bytes("BTCUSDT-1m-2020-03.csv", b"\n".join(lines))
    if case == "truncated_zip":
        return data[: len(data) - 300], None
    if case == "checksum_mismatch":
        return data, "f" * 64
    return data, None


BAD_CASES = {
    "truncated_zip": (CorruptArchiveError, "BTCUSDT-1m-2020-03.zip: truncated or damaged zip archive"),
    "checksum_mismatch": (
        ChecksumMismatchError,
        "BTCUSDT-1m-2020-03.zip: sha256 .* does not match the published f{64}",
    ),
    "eleven_columns": (CandleValidationError, "BTCUSDT-1m-2020-03.zip, line 100: expected 12 columns, found 11"),
    "duplicated_rows": (CandleValidationError, "BTCUSDT-1m-2020-03.zip, line 501: duplicate open time"),
    "unordered_rows": (CandleValidationError, "BTCUSDT-1m-2020-03.zip, line 202: open time .* out of order"),
    "unknown_unit": (CandleValidationError, "BTCUSDT-1m-2020-03.zip, line 1: open time .* no known timestamp unit"),
    "overlapping_candle": (
        CandleValidationError,
        "BTCUSDT-1m-2020-03.zip, line 11: close time .* overlaps the next candle",
    ),
}


@pytest.mark.parametrize("case", BAD_CASES)
def test_bad_input_is_refused_and_store_unchanged(case, mirror, january_store, tmp_path):
    source_root = tmp_path / "mirror"
    for month in ("2020-01", "2020-02"):
        link_month(source_root, mirror, month)
    data, checksum = bad_month(month_csv_lines(mirror, "2020-03")[:3000], case)
    put_dump(source_root, f"{MONTHLY}/BTCUSDT-1m-2020-03.zip", data, checksum)
    store = tmp_path / "btc"
    shutil.copytree(january_store, store)
    january = read_manifest(store)["months"]["2020-01"]

    error, message = BAD_CASES[case]
    with pytest.raises(error, match=message):
        import_binance(LocalSource(source_root), store, "2020-01", "2020-03")
    # 2020-02 was valid and is committed; the broken 2020-03 left nothing behind.
    months = read_manifest(store)["months"]
    assert sorted(months) == ["2020-01", "2020-02"] and months["2020-01"] == january
    assert sorted(p.name for p in store.iterdir()) == ["1m", "manifest.json"]
    assert sorted(p.name for p in (store / "1m").iterdir()) == sorted(e["file"][3:] for e in months.values())
    assert verify_store(store) == []


def test_a_retry_after_a_failed_month_skips_the_months_committed_before_it(mirror, tmp_path):
    source_root = tmp_path / "mirror"
    for month in ("2020-01", "2020-02"):
        link_month(source_root, mirror, month)
    put_dump(source_root, f"{MONTHLY}/BTCUSDT-1m-2020-03.zip", b"PK\x03\x04 broken")
    store = tmp_path / "btc"
    with pytest.raises(CorruptArchiveError):
        import_binance(LocalSource(source_root), store, "2020-01", "2020-03", workers=1)
    assert sorted(read_manifest(store)["months"]) == ["2020-01", "2020-02"]
    (source_root / MONTHLY / "BTCUSDT-1m-2020-03.zip").unlink()
    (source_root / MONTHLY / "BTCUSDT-1m-2020-03.zip.CHECKSUM").unlink()
    link_month(source_root, mirror, "2020-03")
    report = import_binance(LocalSource(source_root), store, "2020-01", "2020-03")
    assert report.months_skipped == ("2020-01", "2020-02") and report.months_imported == ("2020-03",)


def test_staging_folders_of_a_killed_import_are_removed(january_store, mirror, tmp_path):
    store = tmp_path / "btc"
    shutil.copytree(january_store, store)
    leftover = store / ".staging-killed"  # what a SIGKILL during staging leaves
    leftover.mkdir()
    (leftover / "2020-02.parquet").write_bytes(b"half a parquet file")
    report = import_binance(LocalSource(mirror), store, "2020-01", "2020-02")
    assert report.months_imported == ("2020-02",)
    assert sorted(p.name for p in store.iterdir()) == ["1m", "manifest.json"]


def test_a_missing_checksum_beside_a_present_zip_is_named(mirror, tmp_path):
    source_root = tmp_path / "mirror"
    link_month(source_root, mirror, "2020-01")
    (source_root / MONTHLY / "BTCUSDT-1m-2020-01.zip.CHECKSUM").unlink()
    with pytest.raises(
        ChecksumMissingError,
        match=r"BTCUSDT-1m-2020-01.zip.CHECKSUM: the checksum file is missing: "
        r"BTCUSDT-1m-2020-01.zip is at the source",
    ):
        import_binance(LocalSource(source_root), tmp_path / "btc", "2020-01", "2020-01")
    assert not (tmp_path / "btc").exists()


def test_failed_import_into_new_store_leaves_nothing(tmp_path):
    put_dump(tmp_path / "mirror", f"{MONTHLY}/BTCUSDT-1m-2020-03.zip", b"PK\x03\x04 broken")
    with pytest.raises(CorruptArchiveError):
        import_binance(LocalSource(tmp_path / "mirror"), tmp_path / "new", "2020-03", "2020-03")
    assert not (tmp_path / "new").exists()


def test_continuity_across_months_checked(january_store, mirror, tmp_path):
    store = tmp_path / "btc"
    shutil.copytree(january_store, store)
    manifest_path = store / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["months"]["2020-01"]["last_ct"] = 1580515200000 + 5 * 60_000  # a stored month reaching into February
    manifest_path.write_text(json.dumps(manifest))
    before = snapshot(store)
    with pytest.raises(
        StoreError, match="month 2020-02 starts at 2020-02-01T00:00:00.000Z, not after the end of 2020-01"
    ):
        import_binance(LocalSource(mirror), store, "2020-02", "2020-02")
    assert snapshot(store) == before


def test_microsecond_month_is_converted_and_reported(mirror, tmp_path):
    lines = month_csv_lines(mirror, "2020-03")[:2000]
    micro = [
        b",".join([str(int(f[0]) * 1000).encode(), *f[1:6], str(int(f[6]) * 1000 + 999).encode(), *f[7:]])
        for f in (line.split(b",") for line in lines)
    ]
    put_dump(
        tmp_path / "mirror", f"{MONTHLY}/BTCUSDT-1m-2020-03.zip", zip_bytes("BTCUSDT-1m-2020-03.csv", b"\n".join(micro))
    )
    report = import_binance(LocalSource(tmp_path / "mirror"), tmp_path / "btc", "2020-03", "2020-03")
    assert report.unit_conversions == (UnitConversion("BTCUSDT-1m-2020-03.zip", "us"),)
    expected = [int(line.split(b",")[0]) for line in lines]
    np.testing.assert_array_equal(load_candles(tmp_path / "btc").ot, expected)


def test_current_month_from_daily_files_is_refreshed(mirror, tmp_path):
    march = plain_read([month_zip(mirror, "2020-03")])
    lines = month_csv_lines(mirror, "2020-03")
    day = pd.to_datetime(march.ot, unit="ms").dt.day
    for d in range(1, 6):
        content = b"\n".join(line for line, keep in zip(lines, day == d, strict=False) if keep)
        put_dump(
            tmp_path / "mirror",
            f"{DAILY}/BTCUSDT-1m-2020-03-{d:02d}.zip",
            zip_bytes(f"BTCUSDT-1m-2020-03-{d:02d}.csv", content),
        )
    source, store = LocalSource(tmp_path / "mirror"), tmp_path / "btc"

    report = import_binance(source, store, "2020-03", "2020-03", today=date(2020, 3, 4))
    assert report.candles_total == (day <= 3).sum()
    assert read_manifest(store)["months"]["2020-03"]["complete"] is False

    report = import_binance(source, store, "2020-03", "2020-03", today=date(2020, 3, 6))
    assert report.months_imported == ("2020-03",) and report.candles_total == (day <= 5).sum()

    # the month has ended but its monthly file is not published yet: its days are used, up to the first missing one
    report = import_binance(source, store, "2020-03", "2020-03", today=date(2020, 4, 2))
    assert report.candles_total == (day <= 5).sum()
    assert report.missing_files == (str(tmp_path / "mirror" / DAILY / "BTCUSDT-1m-2020-03-06.zip"),)
    assert read_manifest(store)["months"]["2020-03"]["complete"] is False


def test_bundle_import_keeps_bundle_prediction_candles(mirror, tmp_path):
    one_minute = plain_read([month_zip(mirror, "2020-02")])[["ot", "ct", "o", "h", "l", "c", "v"]]
    grouped = one_minute.set_index(pd.to_datetime(one_minute.ot, unit="ms")).resample("30min")
    prediction = grouped.agg({"o": "first", "h": "max", "l": "min", "c": "last", "v": "sum"}).dropna()
    prediction.insert(0, "ot", prediction.index.astype("int64") // 10**6)
    prediction.insert(1, "ct", prediction.ot + 30 * 60_000 - 1)
    folder = tmp_path / "candlesticks"
    folder.mkdir()
    one_minute.to_csv(folder / "candlesticks.csv", index=False)
    prediction.to_csv(folder / "prediction_candlesticks.csv", index=False)

    report = import_bundle(folder, tmp_path / "btc")
    assert report.months_imported == ("2020-02",) and report.candles_total == len(one_minute)
    np.testing.assert_array_equal(load_prediction_candles(tmp_path / "btc", 30).c, prediction.c.to_numpy())
    assert len(load_prediction_candles(tmp_path / "btc", 15)) > len(prediction)  # resampled from the 1m candles
    with pytest.raises(StoreError, match="store holds candles from bundle, not binance:BTCUSDT"):
        import_binance(LocalSource(mirror), tmp_path / "btc", "2020-01", "2020-01")
