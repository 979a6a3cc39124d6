"""Every surface of an epoch parameter (column, form, API, command line, engine) comes from its declaration."""

import argparse

import pytest
from django.core.exceptions import ValidationError

from core.fields import MAX_TIME_MS
from epochs.api.serializers import EpochCreateSerializer
from epochs.engine.epoch_params import ENGINE_PARAMS, PARAMS, EpochParams, check_param
from epochs.engine.epoch_params import MAX_TIME_MS as DECLARED_MAX_TIME_MS
from epochs.forms import EpochCreateForm
from epochs.management.commands.create_epoch import Command
from epochs.models import Epoch
from epochs.services.epochs import ENGINE_FIELDS, SETTINGS_FIELDS


def _outside(param):
    """A value just outside the declared range or choices (None when the declaration allows anything)."""
    if param.choices:
        return max(param.choices) * 2 if param.kind is not str and param.item is not str else "neither"
    if param.high is not None:
        return param.high * 2 + 1 if param.high > 0 else param.high + 1
    return None


def _cli():
    parser = argparse.ArgumentParser(exit_on_error=False)
    Command().add_arguments(parser)
    return parser


def test_the_time_bound_is_the_fields_one():
    assert DECLARED_MAX_TIME_MS == MAX_TIME_MS


@pytest.mark.parametrize("param", PARAMS, ids=lambda p: p.name)
def test_the_column_takes_the_declared_default_and_range(param):
    field = Epoch._meta.get_field(param.name)
    assert field.help_text == param.help
    row = Epoch(id="_ABCD")
    assert getattr(row, param.name) == param.default
    if param.kind is list:  # the row checks the shape; the API and the form check each item
        with pytest.raises(ValidationError):
            field.clean("not a list", row)
        return
    outside = _outside(param)
    if outside is None:
        return
    with pytest.raises(ValidationError):
        field.clean(outside, row)


@pytest.mark.parametrize("param", PARAMS, ids=lambda p: p.name)
def test_the_serializer_field_is_derived(param):
    field = EpochCreateSerializer().fields[param.name]
    assert field.required is False
    outside = _outside(param)
    if outside is not None:
        data = EpochCreateSerializer(data={"id": "_ABCD", param.name: [outside] if param.kind is list else outside})
        assert not data.is_valid() and param.name in data.errors
    good = EpochCreateSerializer(
        data={"id": "_ABCD", param.name: param.copy_default()} if param.default is not None else {"id": "_ABCD"}
    )
    assert good.is_valid(), good.errors


@pytest.mark.parametrize("param", PARAMS, ids=lambda p: p.name)
def test_the_form_field_is_derived(param):
    fields = EpochCreateForm().fields
    if not param.on_form:
        assert param.name not in fields
        return
    assert fields[param.name].initial == param.default
    assert fields[param.name].help_text == param.help


@pytest.mark.parametrize("param", PARAMS, ids=lambda p: p.name)
def test_the_command_line_argument_is_derived(param):
    parser = _cli()
    base = ["--id", "_ABCD"]
    if param.kind is bool:
        flag = f"--no-{param.name}" if param.default else f"--{param.name}"
        assert getattr(parser.parse_args([*base, flag]), param.name) is (not param.default)
        assert getattr(parser.parse_args(base), param.name) is None  # unset: the declared default applies
        return
    values = param.default if param.kind is list else [param.default if param.default is not None else param.low]
    parsed = getattr(parser.parse_args([*base, f"--{param.name}", *map(str, values)]), param.name)
    assert parsed == (values if param.kind is list else values[0])
    outside = _outside(param)
    if outside is not None:
        with pytest.raises((SystemExit, argparse.ArgumentError)):
            parser.parse_args([*base, f"--{param.name}", str(outside)])


@pytest.mark.parametrize("param", PARAMS, ids=lambda p: p.name)
def test_the_engine_check_and_settings_are_derived(param):
    assert check_param(param, param.copy_default()) == (param.copy_default(), None)
    outside = _outside(param)
    if outside is not None:
        assert check_param(param, [outside] if param.kind is list else outside)[1]
    if param.engine:
        assert getattr(EpochParams(id="_ABCD"), param.engine) == param.default
        assert param in ENGINE_PARAMS
    # every parameter is saved: the engine's in epoch.json, the others in epoch_settings.json
    assert (param.name in ENGINE_FIELDS) != (param.name in SETTINGS_FIELDS)


def test_training_and_trading_settings_take_the_declared_defaults():
    from epochs.engine.epoch_params import PARAM
    from prediction_models.engine.trading import BacktestSettings
    from regressions.engine.training import TrainingSettings

    trading = BacktestSettings()
    assert (trading.position_size, trading.leverage, trading.exchange_fee, trading.idle_minutes) == tuple(
        PARAM[n].default for n in ("position_size", "leverage", "exchange_fee", "idle_minutes_on_position_close")
    )
    training = TrainingSettings()
    assert (training.max_epochs, training.patience, training.batch_size, training.validation_split) == tuple(
        PARAM[n].default for n in ("max_epochs", "patience", "batch_size", "validation_split")
    )
