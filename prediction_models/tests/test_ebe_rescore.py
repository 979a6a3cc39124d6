"""The migration that scores again the built models whose accuracies under 1 % were read as shares."""

import importlib
import json

import pytest
from django.apps import apps

from epochs.models import CandlestickSet, Epoch
from epochs.services.paths import epoch_dir
from prediction_models.engine.ebe import prediction_model_evaluation
from prediction_models.models import PredictionModel
from testing.prediction_model_fakes import fake_model, fake_search, position

pytestmark = pytest.mark.django_db

LOSING = [position(1, 0, 30, False, 990.0), position(-1, 60, 90, False, 980.0)]
WINNING = [position(1, 0, 30, True, 1010.0), position(-1, 60, 90, True, 1020.0)]


def test_the_migration_rescores_backtest_accuracies_of_at_most_one_percent():
    epoch = Epoch.objects.create(
        id="_PMRESCORE", candlestick_set=CandlestickSet.objects.create(name="r"), status="ready"
    )
    search = fake_search(epoch)
    low, other = fake_model(epoch, search, 0, LOSING), fake_model(epoch, search, 1, WINNING)
    path = epoch_dir(epoch.id) / low.certificate_file
    cert = json.loads(path.read_text())
    cert["backtest"] = {**cert["backtest"], "accuracy": 0.9, "increase_accuracy": 0.9}
    path.write_text(json.dumps(cert))
    # As recorded when 0.9 scored like 90 %.
    PredictionModel.objects.filter(pk=low.pk).update(ebe_points=99.0)
    PredictionModel.objects.filter(pk=other.pk).update(ebe_points=98.0)  # accuracies above 1 %: left alone
    migration = importlib.import_module("prediction_models.migrations.0009_rescore_ebe_of_accuracies_under_one_percent")
    migration.rescore(apps, None)
    low.refresh_from_db()
    other.refresh_from_db()
    ebe = prediction_model_evaluation(cert)
    assert (low.ebe_points, low.ebe_state) == (ebe["points"], ebe["state"]) and ebe["points"] < 99
    assert other.ebe_points == 98.0
