"""Candle import: the validating, transactional store import vs a plain pandas read.

Imports every month of BINANCE_MIRROR_DIR (default ``<repo>/../shared/binance``) into a
temporary store (checksums, parsing, every validation rule, parquet, manifest), then reads the
same zip files with plain ``pandas.read_csv`` (no checks) and prints both side by side. Prints
one JSON object as its last line.

    .venv/bin/python benchmarks/import_candlesticks.py [--start 2020-01] [--end 2024-12]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from epochs.engine.binance import LocalSource, month_range, monthly_file  # noqa: E402
from epochs.engine.store import import_binance, load_candles  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--start", default="2020-01")
    parser.add_argument("--end", default="2024-12")
    args = parser.parse_args()
    mirror = Path(os.environ.get("BINANCE_MIRROR_DIR", REPO.parent / "shared" / "binance"))
    zips = [mirror / monthly_file("BTCUSDT", month).path for month in month_range(args.start, args.end)]

    with tempfile.TemporaryDirectory() as tmp:
        began = time.perf_counter()
        report = import_binance(LocalSource(mirror), Path(tmp) / "store", args.start, args.end)
        import_s = time.perf_counter() - began
        began = time.perf_counter()
        loaded = load_candles(Path(tmp) / "store")
        load_s = time.perf_counter() - began
        store_mb = sum(p.stat().st_size for p in (Path(tmp) / "store").rglob("*") if p.is_file()) / 2**20

    began = time.perf_counter()
    plain_rows = sum(len(pd.read_csv(path, header=None)) for path in zips)
    pandas_s = time.perf_counter() - began

    assert plain_rows == report.candles_total == len(loaded), "the import and the plain read disagree on the row count"
    result = {
        "months": len(report.months_imported),
        "candles": report.candles_total,
        "gaps": report.gaps.count,
        "missing_minutes": report.gaps.missing_minutes,
        "longest_gap_minutes": report.gaps.longest.minutes if report.gaps.longest else 0,
        "flagged_candles": len(report.flags),
        "import_s": round(import_s, 2),
        "import_candles_per_s": round(report.candles_total / import_s),
        "plain_pandas_s": round(pandas_s, 2),
        "plain_pandas_candles_per_s": round(plain_rows / pandas_s),
        "import_vs_plain_pandas_speed": round(pandas_s / import_s, 2),
        "store_load_s": round(load_s, 2),
        "store_mb": round(store_mb, 1),
    }
    print(f"{'':28}{'validated import':>18}{'plain read_csv':>18}")
    print(f"{'seconds':28}{result['import_s']:>18}{result['plain_pandas_s']:>18}")
    print(f"{'candles / second':28}{result['import_candles_per_s']:>18,}{result['plain_pandas_candles_per_s']:>18,}")
    print(
        f"candles {result['candles']:,}  gaps {result['gaps']} ({result['missing_minutes']} min missing, longest "
        f"{result['longest_gap_minutes']} min)  flagged {result['flagged_candles']}  "
        f"import is {result['import_vs_plain_pandas_speed']}x plain pandas  store {result['store_mb']} MiB, loads in {result['store_load_s']} s"
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
