import hashlib
import json

import pytest

from regressions.engine.ids import (
    config_digest,
    is_regression_id,
    regression_id,
    split_regression_id,
    unit_test_id,
)

CONFIG = {
    "id": "",
    "description": "anything",
    "lookback": 128,
    "predictions": 32,
    "learning_rate": -1,
    "optimizer": "adam",
    "loss": "mean_absolute_error",
    "metric": "mean_squared_error",
    "keras_model": {
        "name": "KR_CDNN_S4",
        "units": [32, 32, 32, 32],
        "activations": ["relu"] * 5,
        "filters": [32],
        "kernel_sizes": [5],
    },
}


def test_id_is_template_plus_sha256_of_epoch_fingerprint_and_config():
    rid = regression_id(CONFIG, epoch_id="_EPOCH", fingerprint="abc123")
    payload = {k: v for k, v in CONFIG.items() if k not in ("id", "description")}
    text = json.dumps(
        {"epoch_id": "_EPOCH", "fingerprint": "abc123", "config": payload}, sort_keys=True, separators=(",", ":")
    )
    assert rid == "KR_CDNN_S4_" + hashlib.sha256(text.encode()).hexdigest()[:32]
    assert is_regression_id(rid)
    assert split_regression_id(rid) == ("KR_CDNN_S4", rid[-32:])


def test_id_is_deterministic_and_ignores_id_and_description():
    a = regression_id(CONFIG, epoch_id="_E", fingerprint="f")
    b = regression_id({**CONFIG, "id": "x", "description": "other"}, epoch_id="_E", fingerprint="f")
    assert a == b


@pytest.mark.parametrize(
    "change",
    [
        {"epoch_id": "_OTHER"},
        {"fingerprint": "f2"},
    ],
)
def test_other_epoch_or_data_gives_new_id(change):
    kwargs = {"epoch_id": "_E", "fingerprint": "f"}
    assert regression_id(CONFIG, **kwargs) != regression_id(CONFIG, **{**kwargs, **change})


def test_any_config_change_gives_new_id():
    other = {**CONFIG, "learning_rate": 0.001}
    assert regression_id(CONFIG, epoch_id="_E", fingerprint="f") != regression_id(other, epoch_id="_E", fingerprint="f")


def test_unit_test_id_shape():
    uid = unit_test_id(CONFIG, epoch_id="_E", fingerprint="f")
    assert uid.startswith("KR_UNIT_TEST_") and len(uid) == len("KR_UNIT_TEST_") + 32
    assert split_regression_id(uid)[0] == "KR_UNIT_TEST"


def test_digest_requires_epoch_and_fingerprint():
    with pytest.raises(ValueError):
        config_digest(CONFIG, epoch_id="", fingerprint="f")


@pytest.mark.parametrize(
    "bad",
    [
        "KR_DNN_S2_" + "A" * 32,  # upper-case hex
        "KR_DNN_S2_" + "a" * 31,  # short digest
        "DNN_S2_" + "a" * 32,  # no KR_ prefix
        "KR_DNN_S2-" + "a" * 32,  # wrong separator
        "KR_" + "A" * 170 + "_" + "a" * 32,  # longer than 200
        None,
    ],
)
def test_malformed_ids_are_refused(bad):
    assert not is_regression_id(bad)
    with pytest.raises(ValueError):
        split_regression_id(bad)
