"""Shared services for the scale-out tests: a fresh PostgreSQL database and a Redis database
number of their own (skipped with the reason when either is not reachable), and helpers that
start Django processes in their own process groups."""
from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
import redis
from django.conf import settings

from cluster.tests.sshd import ssh_client_key, ssh_cluster, ssh_servers  # noqa: F401

REPO = Path(settings.BASE_DIR)
PG_HOST, PG_PORT = "127.0.0.1", 5432
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
REDIS_DB = 11  # only this database number is flushed


def pytest_collection_modifyitems(items):
    for item in items:
        if "ssh_servers" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.ssh)


@pytest.fixture(scope="session")
def postgres_url():
    """A fresh database ``eb_scaleout_<random>`` for the session, dropped afterwards."""
    errors = []
    for user in ("postgres", "root"):
        try:
            admin = psycopg.connect(host=PG_HOST, port=PG_PORT, user=user, dbname="postgres", autocommit=True, connect_timeout=3)
            break
        except psycopg.Error as exc:
            errors.append(f"{user}: {str(exc).strip()}")
    else:
        pytest.skip(f"PostgreSQL not reachable at {PG_HOST}:{PG_PORT} ({'; '.join(errors)}); the scale-out tests need it")
    name = f"eb_scaleout_{secrets.token_hex(4)}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield f"postgres://{user}@{PG_HOST}:{PG_PORT}/{name}"
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def redis_url():
    client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=REDIS_DB, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis not reachable at {REDIS_HOST}:{REDIS_PORT} ({exc}); the scale-out tests need it")
    client.flushdb()
    try:
        yield f"redis://{REDIS_HOST}:{REDIS_PORT}/{REDIS_DB}"
    finally:
        client.flushdb()
        client.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def django_env(**values: str) -> dict[str, str]:
    """The environment of a Django process of ours: the real settings, nothing inherited that
    would point it elsewhere."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CENTRAL_", "DATABASE_", "REDIS_", "EPOCHS_", "JOB_"))}
    return {**env, "DJANGO_SETTINGS_MODULE": "epoca_builder.settings", "PYTHONUNBUFFERED": "1", **values}


def manage(env: dict, *args: str, timeout: float = 300) -> str:
    """Run ``manage.py`` to completion; its output is returned, or shown when it fails."""
    done = subprocess.run([sys.executable, "manage.py", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"manage.py {' '.join(args)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


def start(env: dict, log: Path, *args: str) -> subprocess.Popen:
    """``manage.py <args>`` in its own process group (its pid is the group id)."""
    return subprocess.Popen([sys.executable, "manage.py", *args], cwd=REPO, env=env, start_new_session=True,
                            stdout=log.open("ab"), stderr=subprocess.STDOUT)


def stop(proc: subprocess.Popen) -> None:
    """Stop a process group: SIGINT (clean shutdown), then SIGKILL."""
    for sig, wait_s in ((signal.SIGINT, 15), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait_s)
            return
        except subprocess.TimeoutExpired:
            continue


def wait_for(predicate, timeout: float, what, interval: float = 0.5):
    """Poll ``predicate``; ``what`` (text, or a function giving it at failure) names the wait."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what() if callable(what) else what}")
