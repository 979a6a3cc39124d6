from pathlib import Path

import pytest

from .support import mirror_dir


@pytest.fixture(scope="session")
def mirror() -> Path:
    return mirror_dir()
