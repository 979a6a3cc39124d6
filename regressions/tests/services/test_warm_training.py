"""The worker's warm training process trains as a fresh process does, and resumes exactly.

Real jobs on a small real epoch: a regression trained cold (its own process) and trained in a
warm process that trained another regression first give the same files; a warm training killed
mid-way resumes, in a new warm process, to the same files as an uninterrupted one.
"""

import os
import shutil
import signal

import h5py
import numpy as np
import pytest
from django.test import override_settings

from cluster.choices import JobStatus
from cluster.jobs.cli import TqdmObserver, run_inline
from cluster.jobs.runner import execute
from core.files import read_json
from epochs.engine.layout import CERTIFICATE, H5_FILE
from epochs.services.paths import epoch_dir, epoch_layout
from regressions.engine.pipeline import regression_dir
from regressions.engine.training import CHECKPOINT_FILE
from regressions.models import Regression
from regressions.services.training import regression_train_enqueue
from regressions.services.training_server import warm_training_server, warm_training_server_stop
from testing.smoke import make_smoke_epoch

pytestmark = [pytest.mark.django_db, pytest.mark.tensorflow]  # every test trains
# The certificate's clock readings (and its runtime's ``epoch_seconds``); everything else must be equal.
TIMING = ("training_start", "training_end", "training_seconds")


@pytest.fixture(autouse=True)
def _fresh_training_process():
    warm_training_server_stop()
    yield
    warm_training_server_stop()


def _two_regressions(epoch):
    regressions = Regression.objects.filter(config__batch__epoch=epoch).select_related("config__batch")
    unit = regressions.get(config__batch__name="KR_UNIT_TEST")
    other = regressions.filter(config__category="DNN").order_by("config__position").first()
    return unit, other


def _train(regression, *, retrain=False):
    job = run_inline(regression_train_enqueue(regression=regression, retrain=retrain, inline=True))
    assert job.status == JobStatus.SUCCEEDED, job.error
    return job


def _h5_contents(path):
    """Every dataset's values and every attribute of a legacy ``.h5``, by name."""
    datasets, attributes = {}, {}

    def plain(attrs):
        return {key: np.asarray(value).tolist() for key, value in attrs.items()}

    with h5py.File(path, "r") as handle:
        attributes["/"] = plain(handle.attrs)

        def visit(name, item):
            attributes[name] = plain(item.attrs)
            if isinstance(item, h5py.Dataset):
                datasets[name] = item[()]

        handle.visititems(visit)
    return datasets, attributes


def _assert_same_regression(folder, reference):
    got, want = read_json(folder / CERTIFICATE), read_json(reference / CERTIFICATE)
    for key in TIMING:
        got.pop(key), want.pop(key)
    for runtime in (got["runtime"], want["runtime"]):
        assert len(runtime.pop("epoch_seconds")) == len(got["training_history"]["loss"])
    assert got == want
    layers = [layer["name"] for layer in got["regression_config"]["summary"]["layers"]]
    assert layers and layers == [layer["name"] for layer in want["regression_config"]["summary"]["layers"]]
    (values, attrs), (ref_values, ref_attrs) = _h5_contents(folder / H5_FILE), _h5_contents(reference / H5_FILE)
    assert attrs == ref_attrs  # the model config with its layer names, the ids, the root attributes
    assert sorted(values) == sorted(ref_values) and values
    for name, value in values.items():
        assert np.array_equal(value, ref_values[name]), name


def test_a_warm_process_that_trained_another_regression_trains_as_a_fresh_process(tmp_path):
    epoch = make_smoke_epoch("_WARMEQ", max_epochs=2)
    unit, other = _two_regressions(epoch)
    with override_settings(TRAINING_WARM_PROCESS=False):
        cold_job = _train(unit)
    assert "training process: started" not in cold_job.log_tail and warm_training_server().pid is None
    cold = shutil.copytree(regression_dir(epoch_dir(epoch.id), unit.config_id), tmp_path / "cold")

    server = warm_training_server()
    starts = server.starts
    first = _train(other)
    pid = server.pid
    assert pid is not None and f"training process: started process {pid}" in first.log_tail
    second = _train(Regression.objects.get(pk=unit.pk), retrain=True)
    # The same process trained both: the second job started none.
    assert server.pid == pid and server.starts == starts + 1 and "training process: started" not in second.log_tail

    _assert_same_regression(regression_dir(epoch_dir(epoch.id), unit.config_id), cold)


class Watch(TqdmObserver):
    """Records the epochs a job reports; kills the training process (SIGKILL) once ``kill_at`` is done."""

    def __init__(self, kill_at=None):
        super().__init__("watched training", verbose=False)
        self.kill_at = kill_at
        self.killed_pid = None
        self.epochs = []

    def progress(self, done, total, message):
        super().progress(done, total, message)
        self.epochs.append(done)
        pid = warm_training_server().pid
        if done == self.kill_at and self.killed_pid is None and pid is not None:
            self.killed_pid = pid
            os.kill(pid, signal.SIGKILL)


def test_a_warm_training_killed_mid_way_resumes_to_identical_files(tmp_path, settings):
    # Fixed threads: the killed job waiting in the queue would otherwise size the next training's
    # threads differently (trainings_sharing), and restart the process between the trainings.
    settings.TRAINING_THREADS = 1
    epoch = make_smoke_epoch("_WARMRESUME", max_epochs=4, patience=4)
    unit, other = _two_regressions(epoch)
    starts = warm_training_server().starts
    _train(other)
    _train(unit)
    uninterrupted = shutil.copytree(regression_dir(epoch_dir(epoch.id), unit.config_id), tmp_path / "uninterrupted")

    job = regression_train_enqueue(regression=Regression.objects.get(pk=unit.pk), retrain=True, inline=True)
    killer = Watch(kill_at=2)
    execute(job.pk, str(job.claim_token), observer=killer)
    job.refresh_from_db()
    # The job is queued again (the death is retryable); the checkpoint of epoch 2 stays.
    assert killer.killed_pid is not None and job.status == JobStatus.QUEUED, (job.status, job.error)
    assert "the training process ended with status -9" in job.error + job.log_tail
    checkpoint = epoch_layout(epoch.id).checkpoint_dir(unit.config_id) / CHECKPOINT_FILE
    assert checkpoint.exists()

    # A new warm process trains another regression first, then resumes the killed one.
    _train(Regression.objects.get(pk=other.pk), retrain=True)
    server = warm_training_server()
    assert server.pid != killer.killed_pid and server.starts == starts + 2
    resumed = Watch()
    execute(job.pk, str(job.claim_token), observer=resumed)
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED and job.attempts == 2, job.error
    # It went on from the checkpoint (epoch 2, or 3 if the kill came during the third) instead of from scratch.
    assert killer.epochs[:2] == [1, 2] and resumed.epochs and min(resumed.epochs) >= 3, resumed.epochs
    assert server.starts == starts + 2 and not checkpoint.exists()

    _assert_same_regression(regression_dir(epoch_dir(epoch.id), unit.config_id), uninterrupted)
