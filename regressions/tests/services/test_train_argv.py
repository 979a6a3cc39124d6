"""The training command's threads, determinism and mini-batch bound come from the settings and the host."""

import pytest

from regressions.models import Regression
from regressions.services.training import train_argv, trainings_sharing
from testing.regression_fakes import fake_grid_epoch

pytestmark = pytest.mark.django_db


def _option(argv: list[str], name: str) -> str | None:
    return argv[argv.index(name) + 1] if name in argv else None


def test_train_argv_sizes_threads_by_the_hosts_concurrent_trainings(settings):
    epoch = fake_grid_epoch("_ARGV", profile="smoke", untrained=1)
    regression = Regression.objects.filter(epoch=epoch).select_related("config__batch").first()
    settings.TRAINING_THREADS = 0
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "workers": 3}
    argv = train_argv(regression=regression)
    assert (_option(argv, "--threads"), _option(argv, "--concurrent")) == ("0", "3")  # local: the workers
    assert "--no-determinism" not in argv and "--max-batches" not in argv
    assert _option(train_argv(regression=regression, concurrent=4), "--concurrent") == "4"  # a server's max_jobs
    settings.TRAINING_DETERMINISM, settings.TRAINING_MAX_BATCHES, settings.TRAINING_THREADS = False, 7, 2
    argv = train_argv(regression=regression)
    assert "--no-determinism" in argv and _option(argv, "--max-batches") == "7" and _option(argv, "--threads") == "2"


def test_a_training_alone_on_its_host_gets_every_core_and_shares_them_when_jobs_wait(settings):
    from cluster.models import Job, Server

    settings.TRAINING_THREADS = 0
    server = Server.objects.create(name="gpu-1", host="10.0.0.9", max_jobs=4)
    Job.objects.create(kind="regressions.train", status="running")  # the training that asks
    assert trainings_sharing(server=None, capacity=2) == 1  # alone: every core
    Job.objects.create(kind="prediction_models.search_chunk", status="running")
    Job.objects.create(kind="regressions.train_batch", status="running", waiting=True)  # a parent uses no core
    Job.objects.create(kind="regressions.train", status="running", server=server)  # another host's
    assert trainings_sharing(server=None, capacity=2) == 2  # beside a search chunk: half
    Job.objects.filter(kind="prediction_models.search_chunk").update(status="succeeded")
    Job.objects.create(kind="regressions.train", status="queued")
    assert trainings_sharing(server=None, capacity=2) == 2  # a job waits for the other slot: half
    assert trainings_sharing(server=server, capacity=server.max_jobs) == 1  # the server: that job alone
    for _ in range(5):
        Job.objects.create(kind="regressions.train", status="running", server=server)
    assert trainings_sharing(server=server, capacity=server.max_jobs) == 4  # never more than its slots
    settings.TRAINING_THREADS = 1
    assert trainings_sharing(server=None, capacity=2) == 2  # fixed threads: nothing to size
