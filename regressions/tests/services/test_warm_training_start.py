"""When a worker starts its warm training process itself, and with which thread pools."""

import sys
import threading

import pytest
from django.test import override_settings

from regressions.services.training_server import (
    warm_training_server,
    warm_training_server_start_with_worker,
    warm_training_server_stop,
)
from testing.processes import wait_for


@pytest.fixture
def no_warm_process():
    warm_training_server_stop()
    yield
    warm_training_server_stop()


def test_off_unless_both_settings_allow_it(no_warm_process):
    with override_settings(TRAINING_WARM_AT_START=False):
        assert warm_training_server_start_with_worker() is None
    with override_settings(TRAINING_WARM_AT_START=True, TRAINING_WARM_PROCESS=False):
        assert warm_training_server_start_with_worker() is None
    assert not warm_training_server().alive()


def test_off_the_main_thread_it_is_left_to_the_first_training(no_warm_process):
    # Its parent-death signal would refer to this thread, not to the worker process.
    found = []
    with override_settings(TRAINING_WARM_AT_START=True):
        thread = threading.Thread(target=lambda: found.append(warm_training_server_start_with_worker()))
        thread.start()
        thread.join()
    assert found == [None]
    assert not warm_training_server().alive()


@pytest.mark.tensorflow
def test_it_starts_with_a_batchs_share_of_the_cores(no_warm_process, settings):
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "workers": 3}
    with override_settings(TRAINING_WARM_AT_START=True, TRAINING_THREADS=0):
        server = warm_training_server_start_with_worker()
        assert server is not None and server.alive()
        pid = server.pid
        assert server.argv == [
            sys.executable,
            "-m",
            "regressions.engine.training_server",
            "--threads",
            "0",
            "--concurrent",
            "3",
        ]
        # Called again (a signal sent twice), it keeps the process it has.
        assert warm_training_server_start_with_worker() is server and server.pid == pid
        # A batch's training asks for the same pools: it finds the same process.
        assert warm_training_server(threads="0", concurrent="3").pid == pid
        # A training alone asks for every core: the process is stopped, to start again with them.
        warm_training_server(threads="0", concurrent="1")
        wait_for(lambda: not server.alive(), 10, "the process to stop")
