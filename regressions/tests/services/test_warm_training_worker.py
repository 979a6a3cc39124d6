"""A worker killed (SIGKILL) while its warm training process trains leaves no training process behind."""

import os
import signal
import subprocess
import uuid
from pathlib import Path

import pytest

from cluster.models import Job
from regressions.models import Regression
from regressions.services.training import regression_train_enqueue
from testing.processes import pid_alive, processes_with_environment, start_worker, wait_for
from testing.smoke import make_smoke_epoch

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.tensorflow, pytest.mark.worker]
STARTED = "training process: started process "


def _parent(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def _kill(cluster: subprocess.Popen) -> None:
    os.killpg(cluster.pid, signal.SIGKILL)
    try:
        cluster.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass


def test_a_killed_worker_takes_its_warm_training_process_with_it(tmp_path):
    # Far more epochs than it reaches before the kill.
    epoch = make_smoke_epoch("_WARMKILL", max_epochs=200, patience=200)
    unit = Regression.objects.get(config__batch__epoch=epoch, config__batch__name="KR_UNIT_TEST")
    marker = uuid.uuid4().hex  # every process this test's worker starts inherits it
    job = regression_train_enqueue(regression=unit)
    cluster = start_worker(tmp_path / "worker.log", WARM_TRAINING_TEST=marker)
    try:
        wait_for(lambda: Job.objects.get(pk=job.pk).progress_done >= 1, 120, "the first trained epoch")
        log = Job.objects.get(pk=job.pk).log_tail
        assert STARTED in log, log
        trainer = int(log.split(STARTED)[1].split()[0])
        worker = _parent(trainer)
        assert pid_alive(trainer) and worker != cluster.pid and os.getpgid(worker) == cluster.pid
        assert "regressions.engine.training_server" in processes_with_environment("WARM_TRAINING_TEST", marker)[trainer]

        os.kill(worker, signal.SIGKILL)  # the worker process alone: the rest of the cluster lives on
        wait_for(lambda: not pid_alive(trainer), 10, "the training process to die with its worker")
        orphans = {
            pid: command
            for pid, command in processes_with_environment("WARM_TRAINING_TEST", marker).items()
            if "training_server" in command or "train_regression" in command
        }
        assert orphans == {}
    finally:
        _kill(cluster)
    wait_for(lambda: not processes_with_environment("WARM_TRAINING_TEST", marker), 10, "every process to end")


def test_a_worker_starts_its_training_process_before_its_first_training(tmp_path):
    epoch = make_smoke_epoch("_WARMSTART", max_epochs=2)
    unit = Regression.objects.get(config__batch__epoch=epoch, config__batch__name="KR_UNIT_TEST")
    marker = uuid.uuid4().hex

    def trainers() -> dict[int, str]:
        return {
            pid: command
            for pid, command in processes_with_environment("WARM_TRAINING_TEST", marker).items()
            if "regressions.engine.training_server" in command
        }

    cluster = start_worker(tmp_path / "worker.log", WARM_TRAINING_TEST=marker, TRAINING_WARM_AT_START="true")
    try:
        wait_for(lambda: trainers(), 60, "the training process the worker starts with itself")
        (trainer,) = trainers()
        worker = _parent(trainer)
        assert worker != cluster.pid and os.getpgid(worker) == cluster.pid

        job = regression_train_enqueue(regression=unit)
        wait_for(lambda: Job.objects.get(pk=job.pk).status == "succeeded", 180, "the training")
        log = Job.objects.get(pk=job.pk).log_tail
        assert f"training process: process {trainer}, started " in log, log
        assert STARTED not in log, log  # the job found it running: no start of its own
        assert Regression.objects.get(pk=unit.pk).status == "trained"
        assert list(trainers()) == [trainer]  # it serves the worker's next training too

        os.kill(worker, signal.SIGKILL)
        wait_for(lambda: not pid_alive(trainer), 10, "the training process to die with its worker")
    finally:
        _kill(cluster)
    # The worker the cluster started in the killed one's place started its own: it dies with it.
    wait_for(lambda: not processes_with_environment("WARM_TRAINING_TEST", marker), 10, "every process to end")
