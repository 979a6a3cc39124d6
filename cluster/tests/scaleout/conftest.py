"""Shared services for the scale-out tests: a fresh PostgreSQL database and a Redis database
number of their own (skipped with the reason when either is not reachable), and helpers that
start Django processes in their own process groups (testing/scaleout.py)."""

from __future__ import annotations

import secrets

import psycopg
import pytest
import redis

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
            admin = psycopg.connect(
                host=PG_HOST, port=PG_PORT, user=user, dbname="postgres", autocommit=True, connect_timeout=3
            )
            break
        except psycopg.Error as exc:
            errors.append(f"{user}: {str(exc).strip()}")
    else:
        pytest.skip(
            f"PostgreSQL not reachable at {PG_HOST}:{PG_PORT} ({'; '.join(errors)}); the scale-out tests need it"
        )
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
