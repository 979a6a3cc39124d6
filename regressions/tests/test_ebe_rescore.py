"""The migration that scores again the regressions whose accuracies under 1 % were read as shares."""

import importlib

import pytest
from django.apps import apps

from core.files import write_json
from epochs.services.paths import epoch_layout
from regressions.engine.ebe import regression_evaluation
from regressions.models import Regression
from regressions.services.files import regression_certificate
from testing.regression_fakes import fake_grid_epoch

pytestmark = pytest.mark.django_db


def test_the_migration_rescores_accuracies_of_at_most_one_percent():
    epoch = fake_grid_epoch("_RESCORE", profile="smoke", untrained=1)
    low, other = Regression.objects.filter(epoch=epoch, status="trained").order_by("config_id")[:2]
    cert = regression_certificate(low)
    cert["discovery"] = {**cert["discovery"], "accuracy": 0.9, "increase_accuracy": 0.9}
    write_json(epoch_layout(epoch.id).regression_certificate(low.config_id), cert)
    # As recorded when 0.9 scored like 90 %.
    Regression.objects.filter(pk=low.pk).update(accuracy=0.9, increase_accuracy=0.9, ebe_points=99.0)
    Regression.objects.filter(pk=other.pk).update(ebe_points=98.0)  # accuracies above 1 %: left alone
    migration = importlib.import_module("regressions.migrations.0006_rescore_ebe_of_accuracies_under_one_percent")
    migration.rescore(apps, None)
    low.refresh_from_db()
    other.refresh_from_db()
    ebe = regression_evaluation(cert)
    assert (low.ebe_points, low.ebe_state) == (ebe["points"], ebe["state"]) and ebe["points"] < 99
    assert other.ebe_points == 98.0
