"""The demo, run once per test run (fixture `demo_run`): its files stay on disk, its rows are reloaded per test.

``manage.py demo`` runs as a user runs it, in its own processes (the command and its helper
process per further core) on a database of its own, with the suite's epoch and candle stores;
its rows are dumped from there, so it leaks nothing into other tests, and each test that needs
the demo loads the dump into its own database state (``load_demo_rows``), transactional
(browser) or not.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

DEMO_APPS = ("epochs", "regressions", "prediction_models", "cluster")


@dataclass(frozen=True)
class DemoRun:
    result: dict  # what `run_demo` returned (the command prints it as JSON)
    output: str  # the command's standard output
    rows: Path  # the rows the demo wrote (dumpdata JSON)


def _manage(*args: str, env: dict) -> str:
    process = subprocess.run(
        [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
    )
    if process.returncode != 0:
        raise AssertionError(f"manage.py {args[0]} failed ({process.returncode}):\n{process.stderr[-6000:]}")
    return process.stdout


def demo_result(output: str) -> dict:
    """The JSON result the command prints after its first line (the verdict's lines follow it)."""
    return json.JSONDecoder().raw_decode(output[output.index("{") :])[0]


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory) -> DemoRun:
    if not settings.BINANCE_MIRROR_DIR.exists():
        pytest.skip(f"real candles not found at {settings.BINANCE_MIRROR_DIR} (set BINANCE_MIRROR_DIR)")
    var = tmp_path_factory.mktemp("demo")
    rows = var / "rows.json"
    env = {
        **{k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
        "DJANGO_SETTINGS_MODULE": "epoca_builder.test_settings",
        "EPOCA_VAR_DIR": str(var),  # its own SQLite database
        "EPOCHS_ROOT": str(settings.EPOCHS_ROOT),  # the suite's stores: the tests read its files
        "CANDLES_ROOT": str(settings.CANDLES_ROOT),
    }
    _manage("migrate", "--verbosity", "0", env=env)
    # Two workers, as on the CI's two cores: the training's jobs run two at a time.
    output = _manage("demo", "--source", str(settings.BINANCE_MIRROR_DIR), "--workers", "2", env=env)
    # Natural keys for content types: their ids differ between the two databases.
    _manage("dumpdata", *DEMO_APPS, "--natural-foreign", "--output", str(rows), "--verbosity", "0", env=env)
    return DemoRun(result=demo_result(output), output=output, rows=rows)


def load_demo_rows(run: DemoRun) -> None:
    """Put the demo's rows into the current test's database."""
    call_command("loaddata", str(run.rows), verbosity=0)
