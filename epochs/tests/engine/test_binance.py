import functools
import http.server
import threading
from datetime import date

import pytest

from epochs.engine.binance import HttpSource, LocalSource, fetch_verified, monthly_file, plan_files
from epochs.engine.errors import ChecksumMismatchError, SourceFileMissingError
from testing.candle_dumps import put_dump


def test_plan_past_months_are_monthly_files():
    files = plan_files("BTCUSDT", "2023-11", "2024-02", today=date(2024, 6, 3))
    assert [f.path for f in files] == [
        f"data/spot/monthly/klines/BTCUSDT/1m/BTCUSDT-1m-{m}.zip" for m in ("2023-11", "2023-12", "2024-01", "2024-02")
    ]
    assert all(f.day is None for f in files)


def test_plan_current_month_is_daily_files_until_yesterday():
    files = plan_files("BTCUSDT", "2024-05", "2024-08", today=date(2024, 6, 4))
    assert [f.name for f in files] == [
        "BTCUSDT-1m-2024-05.zip",
        "BTCUSDT-1m-2024-06-01.zip",
        "BTCUSDT-1m-2024-06-02.zip",
        "BTCUSDT-1m-2024-06-03.zip",
    ]
    assert files[1].path == "data/spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2024-06-01.zip"
    assert {f.month for f in files[1:]} == {"2024-06"}


def test_plan_rejects_bad_month():
    with pytest.raises(ValueError, match="'2024-13' is not YYYY-MM"):
        plan_files("BTCUSDT", "2024-01", "2024-13", today=date(2025, 1, 1))


def test_fetch_verified_real_month(mirror):
    data = fetch_verified(LocalSource(mirror), monthly_file("BTCUSDT", "2020-05"))
    assert data[:2] == b"PK"


def test_checksum_mismatch_names_the_file(tmp_path):
    put_dump(
        tmp_path, "data/spot/monthly/klines/BTCUSDT/1m/BTCUSDT-1m-2020-05.zip", b"PK not really", checksum="0" * 64
    )
    with pytest.raises(
        ChecksumMismatchError, match=r"BTCUSDT-1m-2020-05\.zip: sha256 \w+ does not match the published 0{64}"
    ):
        fetch_verified(LocalSource(tmp_path), monthly_file("BTCUSDT", "2020-05"))


def test_checksum_for_another_file_rejected(tmp_path):
    path = put_dump(tmp_path, "data/spot/monthly/klines/BTCUSDT/1m/BTCUSDT-1m-2020-05.zip", b"data")
    path.with_name(path.name + ".CHECKSUM").write_text("a" * 64 + "  BTCUSDT-1m-2020-04.zip\n")
    with pytest.raises(ChecksumMismatchError, match="names 'BTCUSDT-1m-2020-04.zip'"):
        fetch_verified(LocalSource(tmp_path), monthly_file("BTCUSDT", "2020-05"))


def test_missing_file_is_reported(tmp_path):
    with pytest.raises(SourceFileMissingError, match="BTCUSDT-1m-2020-05.zip: no such file"):
        fetch_verified(LocalSource(tmp_path), monthly_file("BTCUSDT", "2020-05"))


@pytest.fixture
def http_mirror(mirror):
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(mirror))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_http_source_fetches_and_verifies(http_mirror, mirror):
    source = HttpSource(http_mirror, timeout=10)
    planned = monthly_file("BTCUSDT", "2020-05")
    assert fetch_verified(source, planned) == (mirror / planned.path).read_bytes()
    with pytest.raises(SourceFileMissingError, match=r"BTCUSDT-1m-2019-01\.zip: not found \(HTTP 404\)"):
        fetch_verified(source, monthly_file("BTCUSDT", "2019-01"))
