from pathlib import Path

import pytest

from testing.candle_dumps import mirror_dir


@pytest.fixture(scope="session")
def mirror() -> Path:
    return mirror_dir()
