"""The undisturbed run the chaos tests compare with: run once per test session, on demand."""

from __future__ import annotations

import pytest
from django.conf import settings

from testing.chaos.harness import run_pipeline


class Undisturbed:
    """Runs the pipeline without kills the first time a test asks (inside that test's database)."""

    def __init__(self, root):
        self.root, self.report = root, None

    def get(self):
        if self.report is None:
            self.report = run_pipeline(self.root, plan=[], timeout=900)
            print(f"undisturbed run: {self.report.seconds:.0f}s")
        return self.report


@pytest.fixture(scope="session")
def undisturbed(tmp_path_factory):
    if not settings.BINANCE_MIRROR_DIR.exists():
        pytest.skip(f"real candles not found at {settings.BINANCE_MIRROR_DIR} (set BINANCE_MIRROR_DIR)")
    return Undisturbed(tmp_path_factory.mktemp("undisturbed"))
