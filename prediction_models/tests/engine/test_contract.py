"""The Epoca contract's checks: one module, every problem collected, the build raising with all of them."""

import copy

import pytest

from epochs.engine import epoch_file_contract as contract
from prediction_models.services.certificates import (
    CertificateError,
    validate_certificate,
)
from testing.contract_certificates import EPOCH_ID, certificate


def test_a_sound_certificate_has_no_problem():
    assert contract.built_certificate_problems(certificate(), EPOCH_ID) == []
    assert contract.model_certificate_problems(certificate()) == []
    validate_certificate(certificate(), EPOCH_ID)


def test_every_problem_is_collected_and_the_build_raises_with_all():
    cert = copy.deepcopy(certificate())
    cert["id"] = "KR_" + cert["id"]
    cert["backtest"]["profit"] = None
    cert["discovery"]["points_hist"] = [1.0]
    cert["backtest"]["positions"][0]["p"]["s"] = 99.0
    cert["model"]["min_sum_function"] = "max"
    cert["holdout"]["test_ds_start"] = 5
    problems = contract.built_certificate_problems(cert, EPOCH_ID)
    expected = [
        "must not contain 'KR_'",
        "model.id is",
        f"must be {EPOCH_ID}_<32 hex>",
        "backtest.profit",
        "discovery.points_hist",
        "positions[0].p.s",
        "model.min_sum_function",
        "holdout.test_ds_start",
    ]
    for part in expected:
        assert any(part in problem for problem in problems), (part, problems)
    with pytest.raises(CertificateError) as caught:
        validate_certificate(cert, EPOCH_ID)
    assert caught.value.problems == problems
    for part in expected:
        assert part in str(caught.value)


def test_the_originals_files_need_not_hold_what_only_our_build_writes():
    cert = copy.deepcopy(certificate())
    for key in contract.DISCOVERY_LISTS:
        del cert["discovery"][key]
    del cert["backtest"]["positions"][0]["p"]["s"]
    del cert["backtest"]["largest_balance_drawdown"]
    assert contract.model_certificate_problems(cert) == []
    ours = contract.model_certificate_problems(cert, ours=True)
    assert any("p.s: missing" in p for p in ours) and any("largest_balance_drawdown: missing" in p for p in ours)


def test_the_id_rule_is_one_constant():
    short = copy.deepcopy(certificate())
    short["model"]["regressions"][0]["id"] = "KR_" + "x" * (contract.MODEL_ID_MIN - 4)
    assert any(
        f"{contract.MODEL_ID_MIN}-{contract.MODEL_ID_MAX} characters" in p for p in contract.model_id_problems(short)
    )
    long_enough = "KR_" + "x" * (contract.MODEL_ID_MIN - 3)
    short["model"]["regressions"][0]["id"] = long_enough
    assert contract.model_id_problems(short) == []


def test_shared_key_lists_come_from_the_contract():
    from regressions.engine import certificate as regression_certificate
    from regressions.engine import discovery

    assert regression_certificate.SUMMARY_KEYS is contract.SUMMARY_KEYS
    assert regression_certificate.METRIC_NAMES is contract.METRICS
    assert discovery.POINTS_HIST_SAMPLES == contract.POINTS_HIST_LENGTH
    assert set(
        contract.DISCOVERY_NUMBERS + contract.DISCOVERY_TABLE_NUMBERS + contract.DISCOVERY_LISTS + ("points_hist",)
    ) == set(discovery.DISCOVERY_KEYS)
