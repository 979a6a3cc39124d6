"""The UNIT_TEST regression trained on the loopback sshd servers through the real job runner:
inputs and code pushed, trained there without a database, pulled back verified and recorded."""

import json
import os
import shutil
import signal
import threading
import time
from pathlib import Path
from unittest import mock

import pytest

from cluster.choices import JobStatus
from cluster.jobs.runner import execute
from cluster.models import Job, ServerAction
from cluster.services.servers import server_check_run
from epochs.services.paths import epoch_dir
from regressions.choices import RegressionStatus
from regressions.engine.certificate import validate_certificate
from regressions.engine.runtime import host_cores, thread_settings
from regressions.services.training import regression_train_enqueue
from testing.remote import EPOCH, sha256_tree, unit_test_of
from testing.smoke import make_smoke_epoch
from testing.sshd import session_pids

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.ssh]

MAX_EPOCHS = 24  # with patience as large: no early stop, so a run cut after its first epoch is unfinished
INPUTS = ("epoch.json", "epoch_settings.json", "candlesticks", "regression_training_configs")


def _train(regression, server):
    with mock.patch("cluster.services.jobs._send"):
        return regression_train_enqueue(regression=regression, server=server)


def _run(job) -> Job:
    execute(job.pk, str(job.claim_token))
    job.refresh_from_db()
    return job


def _remote_epoch(server) -> Path:
    return Path(server.remote_root) / "epochs" / EPOCH


def test_unit_test_regression_trains_on_a_server_and_is_recorded_centrally(servers, ssh_servers, unit_test_regression):
    server = servers[0]  # the remote root with spaces, quotes and `;`
    regression = unit_test_regression
    local = epoch_dir(EPOCH)
    # Files of other regressions and prediction models must stay here: the server gets inputs only.
    (local / "regressions" / "KR_DNN_other").mkdir(parents=True)
    (local / "regressions" / "KR_DNN_other" / "certificate.json").write_text("{}")
    (local / "prediction_models" / "configs").mkdir(parents=True, exist_ok=True)
    (local / "prediction_models" / "configs" / "pm.json").write_text("{}")

    job = _run(_train(regression, server))
    assert job.status == JobStatus.SUCCEEDED, job.error + job.log_tail
    regression.refresh_from_db()
    assert regression.status == RegressionStatus.TRAINED
    ours = local / "regressions" / regression.config_id
    certificate = json.loads((ours / "certificate.json").read_text())
    validate_certificate(certificate)
    assert certificate["id"] == regression.config_id and 1 <= len(certificate["training_history"]["loss"]) <= 6
    hashes = sha256_tree(ours)
    assert set(hashes) == {"model.keras", "model.h5", "test_samples.json", "certificate.json"}
    assert (regression.h5_sha256, regression.certificate_sha256) == (hashes["model.h5"], hashes["certificate.json"])
    assert regression.accuracy == certificate["discovery"]["accuracy"]

    # Trained there, not here: the pulled files are byte for byte the server's.
    remote = _remote_epoch(server)
    assert sha256_tree(remote / "regressions" / regression.config_id) == hashes
    assert (
        job.state["remote"]["server"] == server.pk and f"started process {job.state['remote']['pid']}" in job.log_tail
    )
    # The server got the inputs and nothing of other regressions or prediction models.
    assert [p.name for p in (remote / "regressions").iterdir()] == [regression.config_id]
    sent = {p.name for p in remote.iterdir()} - {"regressions"}
    assert set(INPUTS) <= sent and not sent & {"prediction_models", "regression_batched_certificates"}
    inputs = {rel: digest for rel, digest in sha256_tree(remote).items() if not rel.startswith("regressions/")}
    assert inputs == {rel: digest for rel, digest in sha256_tree(local).items() if rel.split("/")[0] in sent}
    # Our code ran with its settings below the remote root, and without a database.
    root = Path(server.remote_root)
    assert (root / "var" / "secret_key").is_file()
    assert not [p for p in root.rglob("*") if ".sqlite3" in p.name]
    # The training says where TensorFlow runs (no nvidia-smi on this machine: the CPU).
    expected = "on GPU (" if shutil.which("nvidia-smi") else "on CPU (TensorFlow sees no GPU)"
    # Its threads: alone on the server (nothing else running or waiting there), every core of it
    # (the loopback server is this machine).
    threads = thread_settings(cores=host_cores(), concurrent=1)
    assert (
        f"training {regression.config_id} with {threads.intra_op} intra-op and {threads.inter_op} inter-op "
        f"thread(s) {expected}, op determinism on" in job.log_tail
    )
    assert not ssh_servers.pwned_marker.exists()

    # The same job again: the regression is trained, so it is only recorded, nothing runs remotely.
    logs = set((root / "logs").iterdir())
    again = _run(_train(regression, server))
    assert again.status == JobStatus.SUCCEEDED, again.error + again.log_tail
    assert "remote" not in again.state and "started process" not in again.log_tail
    assert set((root / "logs").iterdir()) == logs and sha256_tree(ours) == hashes
    regression.refresh_from_db()
    assert regression.h5_sha256 == hashes["model.h5"]


def _wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_server_dying_mid_training_moves_the_regression_to_the_other_server(servers, ssh_servers, db):
    a, b = servers
    # No early stop: the training runs long enough to be cut after its first epoch.
    regression = unit_test_of(make_smoke_epoch(EPOCH, max_epochs=MAX_EPOCHS, patience=MAX_EPOCHS))
    # b holds a trained copy from an earlier incarnation of the epoch: it must not be taken.
    stale = _remote_epoch(b) / "regressions" / regression.config_id
    stale.mkdir(parents=True)
    for name in ("model.keras", "model.h5", "test_samples.json", "certificate.json"):
        (stale / name).write_text("{}")
    job = _train(regression, a)
    thread = threading.Thread(target=execute, args=(job.pk, str(job.claim_token)), daemon=True)
    thread.start()
    _wait_for(lambda: Job.objects.get(pk=job.pk).progress_done >= 1, 60, "a first training epoch on server a")
    first = Job.objects.get(pk=job.pk).state["remote"]
    # The machine dies: its sshd, the open sessions and the training process all go.
    sessions = session_pids(ssh_servers.servers[0].process.pid)
    ssh_servers.stop(0)
    for pid in sessions:
        os.kill(pid, signal.SIGKILL)
    os.killpg(first["pid"], signal.SIGKILL)
    with mock.patch("cluster.services.jobs._send"):
        thread.join(60)
    assert not thread.is_alive()
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED and job.attempts == 1, job.error + job.log_tail
    regression.refresh_from_db()
    assert regression.status == RegressionStatus.TRAINING and not regression.error  # moving is not a failure
    # Cut mid-way: a kept its checkpoint (a finished training discards it) and no certificate.
    assert (_remote_epoch(a) / "regression_training_checkpoints" / regression.config_id / "checkpoint.npz").is_file()
    assert not (_remote_epoch(a) / "regressions" / regression.config_id / "certificate.json").exists()

    job = _run(job)
    assert job.status == JobStatus.SUCCEEDED, job.error + job.log_tail
    assert job.server_id == b.pk and job.attempts == 2 and f"moved from server {a.name} to {b.name}" in job.log_tail
    assert (
        job.state["remote"]["server"] == b.pk and f"discarded an earlier copy of {regression.config_id}" in job.log_tail
    )
    # Trained once, in full, on b: a holds no trained copy, the central copy is b's.
    ours = epoch_dir(EPOCH) / "regressions" / regression.config_id
    assert sha256_tree(ours) == sha256_tree(_remote_epoch(b) / "regressions" / regression.config_id)
    assert not (_remote_epoch(a) / "regressions" / regression.config_id / "certificate.json").exists()
    certificate = json.loads((ours / "certificate.json").read_text())
    assert len(certificate["training_history"]["loss"]) == MAX_EPOCHS
    regression.refresh_from_db()
    assert regression.status == RegressionStatus.TRAINED and regression.epochs_trained == MAX_EPOCHS


def _check(server, user, **options) -> Job:
    with mock.patch("cluster.services.jobs._send"):
        return server_check_run(server=server, user=user, check="unit_test", options=options)


def test_unit_test_check_trains_on_the_server_without_touching_the_central_record(
    servers, ssh_servers, unit_test_regression, user
):
    server = servers[1]
    regression = unit_test_regression
    job = _run(_check(server, user, epoch=EPOCH))
    assert job.status == JobStatus.SUCCEEDED, job.error + job.log_tail
    assert job.server_id == server.pk and job.result["regression"] == regression.config_id
    # Trained there, in a scratch folder it removed afterwards; nothing here or in the row changed.
    root = Path(server.remote_root)
    assert f"started process {job.state['remote']['pid']} on {server.name}" in job.log_tail
    assert not (root / "checks" / f"job-{job.pk}").exists()
    assert not (epoch_dir(EPOCH) / "regressions" / regression.config_id).exists()
    regression.refresh_from_db()
    assert regression.status == RegressionStatus.PENDING and not regression.h5_sha256
    # Its outcome is on the server's action log, with the discovery's figures.
    outcome = ServerAction.objects.filter(server=server, action="check unit_test").order_by("id").last()
    assert outcome.ok and outcome.user == user, outcome.output
    assert outcome.output.startswith(f"job #{job.pk}: {regression.config_id} of {EPOCH} trained in ")
    assert f"discovery accuracy {job.result['accuracy']:.2f}%" in outcome.output
    assert 1 <= job.result["epochs_trained"] <= 6 and len(job.result["h5_sha256"]) == 64


def test_unit_test_check_of_a_server_that_does_not_answer_fails_there(servers, ssh_servers, unit_test_regression, user):
    a, b = servers
    ssh_servers.stop(0)
    job = _run(_check(a, user))  # no epoch given: the newest epoch's UNIT_TEST regression
    assert job.status == JobStatus.FAILED and f"server {a.name} does not answer" in job.error
    assert job.server_id == a.pk and "remote" not in job.state  # never moved to the other server
    outcome = ServerAction.objects.filter(server=a, action="check unit_test").order_by("id").last()
    assert not outcome.ok and f"job #{job.pk}: server {a.name} does not answer" in outcome.output
    assert not ServerAction.objects.filter(server=b).exists()
