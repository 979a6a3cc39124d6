"""Real training of the UNIT_TEST config and the `smoke` grid on real candles."""

import json

import numpy as np
import pytest

from epochs.services.paths import epoch_dir
from regressions.engine.certificate import validate_certificate
from regressions.engine.pipeline import EpochData
from regressions.models import Regression, TrainingBatch
from testing.legacy_keras import LegacyKerasUnavailable, legacy_predict, legacy_python

pytestmark = pytest.mark.django_db


def test_smoke_grid_and_unit_test_train_and_are_recorded(trained_smoke_epoch):
    epoch = trained_smoke_epoch
    regressions = Regression.objects.filter(epoch=epoch)
    assert regressions.count() >= 13 and set(regressions.values_list("status", flat=True)) == {"trained"}
    folder = epoch_dir(epoch.id)
    for regression in regressions:
        cert = json.loads((folder / "regressions" / regression.config_id / "certificate.json").read_text())
        validate_certificate(cert)
        assert cert["id"] == regression.config_id and cert["optimizer"] == "Adam"
        assert regression.test_loss == cert["test_ds_evaluation"][cert["loss"]]
        assert regression.accuracy == cert["discovery"]["accuracy"] and len(cert["discovery"]["points_hist"]) == 10
        assert 1 <= len(cert["training_history"]["loss"]) <= 6
        assert cert["training_data_start"] == epoch.start and cert["training_data_end"] == epoch.end
        assert isinstance(cert["keras_model_config"]["units"], list)
        runtime = cert["runtime"]  # added: how it trained, through the job's own process
        assert runtime["op_determinism"] is True and runtime["threads"]["intra_op"] >= 1
        assert len(runtime["epoch_seconds"]) == len(cert["training_history"]["loss"])
    for batch in TrainingBatch.objects.filter(epoch=epoch):
        combined = json.loads((folder / batch.batched_certificate_file).read_text())
        assert [c["id"] for c in combined] == list(batch.configs.order_by("position").values_list("id", flat=True))
    # No training checkpoint is left behind.
    assert not any((folder / "regression_training_checkpoints").iterdir())


def test_test_windows_respect_the_purge(trained_smoke_epoch):
    epoch = trained_smoke_epoch
    some = Regression.objects.filter(epoch=epoch).first()
    cert = json.loads((epoch_dir(epoch.id) / "regressions" / some.config_id / "certificate.json").read_text())
    rows = epoch.prediction_rows
    test_row = int(rows * epoch.train_split)
    purged_train = test_row - epoch.regression_lookback - epoch.regression_predictions + 1
    assert cert["train_size"] == purged_train
    # The certificate's test figures describe the selection period: windows whose targets end before the holdout.
    holdout_row = test_row + round((rows - test_row) * (1 - epoch.holdout_share))
    assert cert["test_size"] == holdout_row - test_row - epoch.regression_lookback - epoch.regression_predictions
    # The holdout's windows decide at or after its first row; those Epoca would refuse are only counted.
    held = cert["holdout"]
    assert held["test_size"] + held["refused_windows"] == rows - epoch.regression_predictions - holdout_row
    assert held["test_size"] > 0 and set(held["test_ds_evaluation"]) == {"mean_absolute_error", "mean_squared_error"}


def test_every_h5_loads_in_the_consumers_old_keras_with_equal_predictions(trained_smoke_epoch):
    try:
        legacy_python()
    except LegacyKerasUnavailable as exc:
        pytest.skip(f"the old-Keras virtualenv cannot be made here: {exc}")
    import tensorflow as tf  # why: TensorFlow is heavy; only the processes that train or predict load it

    epoch = trained_smoke_epoch
    folder = epoch_dir(epoch.id)
    data = EpochData.load(folder)
    lookback = epoch.regression_lookback
    inputs = np.stack([data.normalized[i - lookback : i] for i in (lookback, 1000, len(data.normalized) - 40)]).astype(
        np.float32
    )
    paths = [folder / "regressions" / r.config_id / "model.h5" for r in Regression.objects.filter(epoch=epoch)]
    output = legacy_predict(paths, inputs)
    for path in paths:
        ours = tf.keras.models.load_model(path.parent / "model.keras").predict(inputs, verbose=0)
        loaded = output["models"][str(path)]
        assert loaded["attrs"]["id"] == path.parent.name and loaded["attrs"]["lookback"] == lookback
        np.testing.assert_allclose(np.asarray(loaded["predictions"]), ours, rtol=0, atol=1e-5)
