import pytest

from epochs.engine.epoch_params import EpochParams, validate_epoch_id, validate_epoch_params
from epochs.engine.errors import EpochParameterError


@pytest.mark.parametrize("value", ["_EROS2", "_ALPHA", "_A1B", "_" + "X" * 99])
def test_valid_ids(value):
    assert validate_epoch_id(value) == value


@pytest.mark.parametrize(
    "value, message",
    [
        ("_A/B", "only upper-case letters, digits and '_' are allowed (found '/')"),
        ("_..X", "only upper-case letters, digits and '_' are allowed (found '.')"),
        ("_eros2", "must be upper case: use '_EROS2'"),
        ("_MYKR_EPOCH", "must not contain 'KR_' (reserved for regression ids)"),
        ("_kr_x", "must not contain 'KR_' (reserved for regression ids)"),
        ("", "must start with '_'"),
        ("EROS", "must start with '_'"),
        ("_AB", "must be 4-100 characters long (got 3)"),
        ("_" + "X" * 100, "must be 4-100 characters long (got 101)"),
        (42, "must be a string"),
    ],
)
def test_invalid_ids(value, message):
    with pytest.raises(EpochParameterError) as caught:
        validate_epoch_id(value)
    assert caught.value.errors == {"id": message}


def test_defaults_are_the_original_ones():
    params = validate_epoch_params({"id": "_EROS3"})
    assert params == EpochParams(
        id="_EROS3",
        seed=60184,
        epoch_width=48,
        sma_window_size=25,
        train_split=0.75,
        validation_split=0.2,
        regression_lookback=128,
        regression_predictions=32,
        exchange_fee=0.065,
        position_size=10000,
        leverage=3,
        idle_minutes_on_position_close=180,
        interval_minutes=15,
    )


def test_float_fields_accept_fractions_and_strings():
    params = validate_epoch_params(
        {
            "id": "_X1Y",
            "train_split": "0.8",
            "validation_split": 0.25,
            "exchange_fee": "0.1",
            "position_size": "2500.5",
            "epoch_width": "12",
            "interval_minutes": 30,
        }
    )
    assert (params.train_split, params.validation_split, params.exchange_fee, params.position_size) == (
        0.8,
        0.25,
        0.1,
        2500.5,
    )
    assert params.epoch_width == 12 and params.interval_minutes == 30


def test_every_problem_reported_per_field():
    with pytest.raises(EpochParameterError) as caught:
        validate_epoch_params(
            {
                "id": "_bad",
                "seed": 0,
                "epoch_width": 81,
                "sma_window_size": 9.5,
                "train_split": 0.96,
                "validation_split": "abc",
                "leverage": True,
                "interval_minutes": 60,
                "colour": "red",
            }
        )
    assert caught.value.errors == {
        "colour": "unknown parameter",
        "id": "must be upper case: use '_BAD'",
        "seed": "must be between 1 and 1e+08 (got 0)",
        "epoch_width": "must be between 1 and 80 (got 81)",
        "sma_window_size": "must be an integer (got 9.5)",
        "train_split": "must be between 0.6 and 0.95 (got 0.96)",
        "validation_split": "must be a number (got 'abc')",
        "leverage": "must be an integer",
        "interval_minutes": "must be one of (15, 30) (got 60)",
    }


def test_id_required():
    with pytest.raises(EpochParameterError, match="id: required"):
        validate_epoch_params({})
