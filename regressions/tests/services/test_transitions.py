"""Regression status transitions: a trained regression stays trained until it is recorded again."""

import pytest

from regressions.choices import RegressionStatus
from regressions.models import Regression
from testing.regression_fakes import fake_grid_epoch

pytestmark = pytest.mark.django_db


def _stored(regression):
    return Regression.objects.values_list("status", "error").get(pk=regression.pk)


def test_a_trained_regression_is_neither_training_nor_failed():
    epoch = fake_grid_epoch("_RTRANSITIONS", profile="smoke", untrained=1)
    trained = Regression.objects.filter(epoch=epoch, status=RegressionStatus.TRAINED).first()
    assert trained.mark_training() is False and trained.mark_failed(error="killed") is False
    assert _stored(trained) == (RegressionStatus.TRAINED, "")
    assert trained.mark_trained(accuracy=61.5) is True  # recording the certificate again applies
    assert Regression.objects.values_list("status", "accuracy").get(pk=trained.pk) == (RegressionStatus.TRAINED, 61.5)


def test_an_untrained_regression_trains_fails_and_trains_again():
    epoch = fake_grid_epoch("_RTRANSITIONS2", profile="smoke", untrained=1)
    pending = Regression.objects.get(epoch=epoch, status=RegressionStatus.PENDING)
    assert pending.mark_training() is True and _stored(pending) == (RegressionStatus.TRAINING, "")
    assert pending.mark_failed(error="x" * 6000) is True
    status, error = _stored(pending)
    assert status == RegressionStatus.FAILED and len(error) == 5000
    assert pending.mark_training() is True and _stored(pending) == (RegressionStatus.TRAINING, "")
