"""Test helpers: locate the real Binance mirror, read it plainly, build dump files in a temp folder."""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[1]
MONTHLY = "data/spot/monthly/klines/BTCUSDT/1m"
DAILY = "data/spot/daily/klines/BTCUSDT/1m"


def mirror_dir() -> Path:
    path = Path(os.environ.get("BINANCE_MIRROR_DIR", REPO.parent / "shared" / "binance"))
    if not (path / MONTHLY).is_dir():
        pytest.skip(f"real Binance candles not found at {path} (set BINANCE_MIRROR_DIR)")
    return path


def month_zip(mirror: Path, month: str) -> Path:
    return mirror / MONTHLY / f"BTCUSDT-1m-{month}.zip"


def month_csv_lines(mirror: Path, month: str) -> list[bytes]:
    with zipfile.ZipFile(month_zip(mirror, month)) as archive:
        return archive.read(archive.namelist()[0]).split(b"\n")


def plain_read(paths: list[Path]) -> pd.DataFrame:
    """Independent reader: plain pandas, the columns named as in Binance's documentation."""
    frame = pd.concat([pd.read_csv(p, header=None, usecols=[0, 1, 2, 3, 4, 6, 7]) for p in paths], ignore_index=True)
    frame.columns = ["ot", "o", "h", "l", "c", "ct", "v"]
    return frame


def zip_bytes(member: str, content: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(member, content)
    return buffer.getvalue()


def put_dump(root: Path, relative_zip: str, data: bytes, checksum: str | None = None) -> Path:
    """Write a dump zip and its .CHECKSUM ("HASH  NAME") below ``root``."""
    path = root / relative_zip
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    digest = checksum or hashlib.sha256(data).hexdigest()
    Path(f"{path}.CHECKSUM").write_text(f"{digest}  {path.name}\n")
    return path


def link_month(root: Path, mirror: Path, month: str) -> None:
    """Make a real month of the mirror available in a test mirror without copying it."""
    for suffix in ("", ".CHECKSUM"):
        target = root / MONTHLY / f"BTCUSDT-1m-{month}.zip{suffix}"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.symlink_to(Path(f"{month_zip(mirror, month)}{suffix}"))


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file below ``folder`` with its bytes (to prove a store did not change)."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
