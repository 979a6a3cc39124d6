"""The training command's threads, determinism and mini-batch bound come from the settings and the host."""

import pytest

from regressions.models import Regression
from regressions.services.training import train_argv
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
