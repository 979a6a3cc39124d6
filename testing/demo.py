"""The demo, run once per test run (fixture `demo_run`): its files stay on disk, its rows are reloaded per test.

``manage.py demo`` runs inside a transaction that is rolled back after its rows were dumped,
so it leaks nothing into other tests; each test that needs the demo loads the dump into its
own database state (``load_demo_rows``), transactional (browser) or not.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import transaction

DEMO_APPS = ("epochs", "regressions", "prediction_models", "cluster")


@dataclass(frozen=True)
class DemoRun:
    result: dict  # what `run_demo` returned (the command prints it as JSON)
    output: str  # the command's standard output
    rows: Path  # the rows the demo wrote (dumpdata JSON)


class _RollBack(Exception):
    pass


@pytest.fixture(scope="session")
def demo_run(django_db_setup, django_db_blocker, tmp_path_factory) -> DemoRun:
    if not settings.BINANCE_MIRROR_DIR.exists():
        pytest.skip(f"real candles not found at {settings.BINANCE_MIRROR_DIR} (set BINANCE_MIRROR_DIR)")
    rows = tmp_path_factory.mktemp("demo") / "rows.json"
    output = io.StringIO()
    with django_db_blocker.unblock():
        try:
            with transaction.atomic():
                call_command("demo", source=str(settings.BINANCE_MIRROR_DIR), stdout=output)
                # Natural keys for content types: their ids change when a test flushes the database.
                call_command("dumpdata", *DEMO_APPS, natural_foreign=True, output=str(rows), verbosity=0)
                raise _RollBack
        except _RollBack:
            pass
    text = output.getvalue()
    return DemoRun(result=json.loads(text[text.index("{") :]), output=text, rows=rows)


def load_demo_rows(run: DemoRun) -> None:
    """Put the demo's rows into the current test's database."""
    call_command("loaddata", str(run.rows), verbosity=0)
