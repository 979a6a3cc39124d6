"""Scale-out end to end: a central web app and two django-q2 workers, each with its own epoch
folder, sharing PostgreSQL and Redis. Workers fetch the training inputs from the central store
and upload what they train; the central store ends up with every artifact and the batched
certificates, and every regression was trained exactly once.

Everything is checked from outside the code under test: SQL on the shared database, sha256 of
the files on disk, the API over HTTP.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import urllib.request
from pathlib import Path

import psycopg
import pytest
from django.conf import settings

from testing.scaleout import django_env, free_port, manage, start, stop, wait_for

pytestmark = [pytest.mark.scaleout, pytest.mark.worker, pytest.mark.slow]

EPOCH = "_SCALEOUT"
BATCHES = 3
FAST = ("DNN", "CNN", "CDNN")
REGRESSION_FILES = ("model.keras", "model.h5", "test_samples.json", "certificate.json")
# The workers' token is a worker account's (it reaches the epoch store only); this test drives
# the pipeline with an operator's.
TOKEN_SCRIPT = (
    "from django.contrib.auth import get_user_model; from accounts.roles import role_assign; "
    "from accounts.tokens import token_create, worker_account_token; "
    "operator = role_assign(get_user_model().objects.create_user('operator'), 'operator'); "
    "print(worker_account_token('worker'), token_create(operator)[1])"
)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def api(base: str, method: str, path: str, token: str, data: bytes | None = None) -> dict:
    request = urllib.request.Request(
        base + path,
        data=data,
        method=method,
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def sql(url: str, query: str, *params) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(query, params).fetchall()


@pytest.fixture(scope="module")
def cluster_run(postgres_url, redis_url, tmp_path_factory):
    """Run the whole scale-out scenario once; the tests below check its outcome."""
    if not settings.BINANCE_MIRROR_DIR.exists():
        pytest.skip(f"real candles not found at {settings.BINANCE_MIRROR_DIR} (set BINANCE_MIRROR_DIR)")
    base = tmp_path_factory.mktemp("scaleout")
    shared = {
        "DATABASE_URL": postgres_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": secrets.token_urlsafe(40),
        "TRAINING_THREADS": "1",
        "WORKER_PROCESSES": "1",
    }

    def machine(name: str, **extra: str) -> dict:
        var = base / name
        return django_env(
            **shared,
            EPOCA_VAR_DIR=str(var),
            EPOCHS_ROOT=str(var / "epochs"),
            CANDLES_ROOT=str(var / "candles"),
            SSH_DIR=str(var / "ssh"),
            **extra,
        )

    central = machine("central", CENTRAL_URL="", CENTRAL_TOKEN="")
    manage(central, "migrate", "--noinput")
    manage(
        central,
        "import_candlesticks",
        "--from",
        "2021-01",
        "--to",
        "2021-03",
        "--source",
        str(settings.BINANCE_MIRROR_DIR),
    )
    manage(
        central,
        "create_epoch",
        "--id",
        EPOCH,
        "--epoch_width",
        "1",
        "--regression_grid_profile",
        "smoke",
        "--max_epochs",
        "3",
        "--patience",
        "2",
        "--batch_size",
        "256",
    )
    manage(central, "generate_regression_training_configs", "--epoch", EPOCH)
    worker_token, token = manage(central, "shell", "-c", TOKEN_SCRIPT).strip().splitlines()[-1].split()

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    procs = {"central": start(central, base / "central.log", "runserver", "--noreload", f"127.0.0.1:{port}")}
    try:
        wait_for(lambda: _answers(url, token), 60, "the central web app")
        workers = {name: machine(name, CENTRAL_URL=url, CENTRAL_TOKEN=worker_token) for name in ("worker1", "worker2")}
        for name, env in workers.items():
            procs[name] = start(env, base / f"{name}.log", "qcluster")
        batches = api(url, "GET", f"/api/training-batches/?epoch={EPOCH}&page_size=100", token)["results"]
        # Batches of two, the fastest categories first.
        chosen = sorted(
            (b for b in batches if b["configs_count"] == 2 and b["category"] in FAST),
            key=lambda b: (FAST.index(b["category"]), b["number"]),
        )[:BATCHES]
        assert len(chosen) == BATCHES
        parents = [api(url, "POST", f"/api/training-batches/{b['id']}/train/", token, b"{}")["id"] for b in chosen]
        wait_for(
            lambda: all(
                s in ("succeeded", "failed", "cancelled")
                for (s,) in sql(postgres_url, "select status from cluster_job where id = any(%s)", parents)
            ),
            240,
            "the batch jobs to end",
            interval=1,
        )
        yield {
            "db": postgres_url,
            "url": url,
            "token": token,
            "base": base,
            "parents": parents,
            "batches": [b["name"] for b in chosen],
            "pgids": {name: procs[name].pid for name in workers},
        }
    finally:
        for proc in procs.values():
            stop(proc)


def _answers(url: str, token: str) -> bool:
    try:
        api(url, "GET", "/api/jobs/?limit=1", token)
        return True
    except OSError:
        return False


def _epoch(run, machine: str) -> Path:
    return run["base"] / machine / "epochs" / EPOCH


def _children(run) -> list[tuple]:
    return sql(
        run["db"],
        "select id, status, attempts, process_group, params->>'regression_id', result, error "
        "from cluster_job where parent_id = any(%s) order by id",
        run["parents"],
    )


def test_every_regression_trained_exactly_once_and_both_workers_took_part(cluster_run):
    run = cluster_run
    parents = sql(run["db"], "select status, attempts, error from cluster_job where id = any(%s)", run["parents"])
    assert all(status == "succeeded" and attempts == 1 for status, attempts, _ in parents), parents
    children = _children(run)
    expected = {
        rid
        for (rid,) in sql(
            run["db"],
            "select c.id from regressions_regressionconfig c join regressions_trainingbatch b "
            "on c.batch_id = b.id where b.name = any(%s) and b.epoch_id = %s",
            run["batches"],
            EPOCH,
        )
    }
    ids = [rid for *_, rid, _, _ in children]
    assert sorted(ids) == sorted(expected) and len(ids) == len(set(ids))
    assert all(status == "succeeded" and attempts == 1 for _, status, attempts, *_ in children), children
    by_worker = {
        name: {rid for _, _, _, pgid, rid, _, _ in children if pgid == group} for name, group in run["pgids"].items()
    }
    assert by_worker["worker1"] and by_worker["worker2"], by_worker
    assert by_worker["worker1"] | by_worker["worker2"] == expected
    # Each regression was trained where its job ran, and nowhere else.
    for name, trained in by_worker.items():
        local = {p.name for p in (_epoch(run, name) / "regressions").iterdir() if (p / "certificate.json").exists()}
        assert local == trained, name
    statuses = sql(run["db"], "select status from regressions_regression where config_id = any(%s)", list(expected))
    assert [s for (s,) in statuses] == ["trained"] * len(expected)


def test_the_central_store_holds_every_artifact_with_the_recorded_sha256(cluster_run):
    run = cluster_run
    central = _epoch(run, "central")
    recorded = {
        rid: (cert, h5)
        for rid, cert, h5 in sql(
            run["db"],
            "select config_id, certificate_sha256, h5_sha256 from regressions_regression where status = 'trained'",
        )
    }
    for _, _, _, pgid, rid, result, _ in _children(run):
        worker = next(name for name, group in run["pgids"].items() if group == pgid)
        stored = central / "regressions" / rid
        digests = {name: sha256(stored / name) for name in REGRESSION_FILES}
        assert digests == {name: sha256(_epoch(run, worker) / "regressions" / rid / name) for name in REGRESSION_FILES}
        assert recorded[rid] == (digests["certificate.json"], digests["model.h5"])
        assert result["artifacts"] == digests
    # The workers fetched the training inputs they needed, byte for byte.
    for worker in run["pgids"]:
        for rel in ("epoch.json", "epoch_settings.json", "candlesticks/normalized_prediction_candlesticks.parquet"):
            assert sha256(_epoch(run, worker) / rel) == sha256(central / rel)


def test_the_central_store_writes_the_batched_certificates(cluster_run):
    run = cluster_run
    central = _epoch(run, "central")
    for name in run["batches"]:
        relative = f"regression_batched_certificates/{name}.json"
        configs = [
            rid
            for (rid,) in sql(
                run["db"],
                "select c.id from regressions_regressionconfig c join regressions_trainingbatch b "
                "on c.batch_id = b.id where b.name = %s and b.epoch_id = %s order by c.position",
                name,
                EPOCH,
            )
        ]
        certificates = json.loads((central / relative).read_text())
        assert [c["id"] for c in certificates] == configs
        assert certificates == [
            json.loads((central / "regressions" / rid / "certificate.json").read_text()) for rid in configs
        ]
        assert sql(
            run["db"],
            "select batched_certificate_file from regressions_trainingbatch where name = %s and epoch_id = %s",
            name,
            EPOCH,
        ) == [(relative,)]
        for worker in run["pgids"]:
            assert not (_epoch(run, worker) / relative).exists()
