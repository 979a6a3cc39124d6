"""Chaos: workers' process groups SIGKILLed at seeded points of the pipeline, then restarted.

Every stage is hit (import, epoch, configs, training, assets, the search fan-out, build,
export). Each job must run again within stale time + reaper period + 30 s of its kill, the
whole run may take at most the undisturbed run's time plus that bound per kill, every job
succeeds, and the pipeline makes exactly what the undisturbed run made: the same regressions
(weights equal), profitable configs, model ids and certificates (timing fields removed), with
no duplicate rows and no staging or temporary files left.

Each kill point is an event the job reaches (hook.py): every planned point is hit, for any seed
(``CHAOS_SEED`` chooses another one).
"""

from __future__ import annotations

import os

import pytest

from testing.chaos.harness import RECOVERY_BOUND, kill_plan, run_pipeline

# Budget on two idle cores: about 10 minutes (ORM, with the undisturbed run) and 4 (Redis); the
# limit leaves room for a loaded machine.
pytestmark = [pytest.mark.chaos, pytest.mark.worker, pytest.mark.django_db(transaction=True), pytest.mark.timeout(2700)]

SEED = int(os.environ.get("CHAOS_SEED", "20260101"))
REDIS_HOST, REDIS_PORT, REDIS_DB = "127.0.0.1", 6379, 12  # only this database number is flushed


def _check(report, undisturbed, plan) -> None:
    kills = len(report.kills)
    recovered = [k for k in report.kills if k.recovery_seconds is not None]
    print(
        f"seed {SEED}; kills: {kills}; jobs recovered: {len(recovered)}; longest recovery: {report.longest_recovery:.1f}s; "
        f"run {report.seconds:.0f}s, undisturbed {undisturbed.seconds:.0f}s"
    )
    for kill in report.kills:
        print(
            f"  {kill.point.stage:8} {kill.point.kind:32} at {kill.point.fraction:.2f}: job #{kill.job_id} "
            f"on worker {kill.worker}, running again after {kill.recovery_seconds}s"
        )
    snap, ref = dict(report.snapshot), dict(undisturbed.snapshot)
    logs = snap.pop("_logs", "")
    ref.pop("_logs", None)
    snap.pop("training_groups"), ref.pop("training_groups")
    assert not report.missed, f"kill points never reached: {report.missed}"
    assert kills == len(plan)
    assert {k.point.stage for k in report.kills} >= {p.stage for p in plan}
    assert len(recovered) == kills, [k for k in report.kills if k.recovery_seconds is None]
    assert report.longest_recovery <= RECOVERY_BOUND
    assert report.seconds <= undisturbed.seconds + kills * RECOVERY_BOUND
    assert snap["demo"]["status"] == "succeeded", f"{snap['demo']}\n{logs}"
    assert snap["jobs_not_succeeded"] == []
    assert snap["duplicate_jobs"] == []
    assert snap["leftovers"] == []
    assert snap["epoch"] == ref["epoch"]
    assert list(snap["regressions"]) == list(ref["regressions"])
    for config_id, made in snap["regressions"].items():
        assert made["weights"] is not None and made["weights"] == ref["regressions"][config_id]["weights"], config_id
        assert made["certificate"] == ref["regressions"][config_id]["certificate"], config_id
    assert snap["profitable"] == ref["profitable"]
    assert list(snap["models"]) == list(ref["models"]) and snap["models"] == ref["models"]


def test_pipeline_survives_ten_and_more_worker_kills_on_the_orm_broker(undisturbed, tmp_path):
    plan = kill_plan(
        SEED, {"import": 1, "epoch": 1, "configs": 1, "training": 2, "assets": 1, "search": 2, "build": 1, "export": 1}
    )
    reference = undisturbed.get()
    assert reference.snapshot["demo"]["status"] == "succeeded", reference.snapshot["_logs"]
    assert reference.snapshot["training_groups"] == 2  # the demo's training is shared by both workers
    report = run_pipeline(tmp_path, plan=plan, timeout=reference.seconds + len(plan) * RECOVERY_BOUND + 120)
    _check(report, reference, plan)


@pytest.fixture
def redis_url():
    redis = pytest.importorskip("redis")
    client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=REDIS_DB, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis not reachable at {REDIS_HOST}:{REDIS_PORT} ({exc}); the Redis chaos test needs it")
    client.flushdb()
    try:
        yield f"redis://{REDIS_HOST}:{REDIS_PORT}/{REDIS_DB}"
    finally:
        client.flushdb()
        client.close()


def test_pipeline_survives_worker_kills_on_the_redis_broker(undisturbed, redis_url, tmp_path):
    plan = kill_plan(SEED + 1, {"training": 2, "search": 2})
    reference = undisturbed.get()
    report = run_pipeline(
        tmp_path, plan=plan, timeout=reference.seconds + len(plan) * RECOVERY_BOUND + 120, REDIS_URL=redis_url
    )
    _check(report, reference, plan)
