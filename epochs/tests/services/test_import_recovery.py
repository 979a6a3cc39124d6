"""A killed command-line import: its re-run takes the dead job over and resumes month by month."""

import shutil
from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from cluster.choices import JobStatus
from cluster.models import Job
from epochs.engine.binance import LocalSource
from epochs.engine.store import import_binance
from epochs.services.candles import candle_import_enqueue
from epochs.services.paths import candle_store_dir

pytestmark = pytest.mark.django_db
SET = "killed-import"


def _killed_import():
    """What SIGKILL leaves after the first month: its job running with a dead heartbeat, a staging folder."""
    source = str(settings.BINANCE_MIRROR_DIR)
    store = candle_store_dir(SET)
    shutil.rmtree(store, ignore_errors=True)
    import_binance(LocalSource(source), store, "2021-01", "2021-01")  # committed before the kill
    staging = store / ".staging-k1ll3d"
    staging.mkdir()
    (staging / "2021-02.parquet").write_bytes(b"half written")
    job = candle_import_enqueue(start_month="2021-01", end_month="2021-02", source=source, name=SET, inline=True)
    stale = timezone.now() - timedelta(seconds=settings.JOB_STALE_SECONDS + 60)
    Job.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING, attempts=1, started=stale, heartbeat_at=stale, worker="gone:999999"
    )
    return job, store


def test_a_killed_import_re_run_from_the_command_line_completes(tmp_path):
    if not settings.BINANCE_MIRROR_DIR.exists():
        pytest.skip(f"real candles not found at {settings.BINANCE_MIRROR_DIR} (set BINANCE_MIRROR_DIR)")
    job, store = _killed_import()
    out = StringIO()
    call_command(
        "import_candlesticks",
        "--from",
        "2021-01",
        "--to",
        "2021-02",
        "--source",
        str(settings.BINANCE_MIRROR_DIR),
        "--set",
        SET,
        stdout=out,
    )
    job.refresh_from_db()
    assert "running already" not in out.getvalue() and "taking it over" in out.getvalue()
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert job.result["months_skipped"] == ["2021-01"] and job.result["months_imported"] == ["2021-02"]
    assert not list(store.glob(".staging-*"))
    assert Job.objects.filter(kind="epochs.import_candles", target_id=str(job.target_id)).count() == 1


def test_a_live_import_is_not_taken_over():
    source = str(settings.BINANCE_MIRROR_DIR)
    job = candle_import_enqueue(start_month="2021-01", end_month="2021-01", source=source, name=SET, inline=True)
    Job.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING, attempts=1, heartbeat_at=timezone.now(), worker="busy:1"
    )
    out = StringIO()
    call_command(
        "import_candlesticks", "--from", "2021-01", "--to", "2021-01", "--source", source, "--set", SET, stdout=out
    )
    job.refresh_from_db()
    assert f"Job #{job.pk} is running already." in out.getvalue() and job.worker == "busy:1"
