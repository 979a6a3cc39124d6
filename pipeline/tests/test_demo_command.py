"""`manage.py demo`'s arguments and the text of its verdict (the run itself: epoca_builder/tests/test_demo.py)."""

import pytest
from django.core.management import CommandError, call_command

from cluster.models import Job
from pipeline.demo import verdict_lines


@pytest.mark.django_db
def test_the_demo_needs_at_least_one_worker():
    with pytest.raises(CommandError, match="--workers must be at least 1"):
        call_command("demo", workers=0)
    assert not Job.objects.exists()


def test_the_verdicts_lines_say_each_checks_result_value_and_threshold():
    result = {
        "prediction_model": "_DEMO1_M",
        "min_positions": 0,
        "verdict": [
            {"check": "deflated_sharpe_ratio", "value": 0.123456, "threshold": ">= 0.95", "passed": False},
            {"check": "holdout_profit", "value": 12.5, "threshold": "> 0.0", "passed": True},
            {"check": "forward_tests_profit", "value": None, "threshold": "> 0.0 (each)", "passed": "not available"},
        ],
    }
    lines = verdict_lines(result)
    assert lines[0] == "Verdict on _DEMO1_M: 1 of 3 checks pass, 1 fail, 1 not available."
    assert lines[1].split() == ["deflated_sharpe_ratio", "FAIL", "value", "0.1235,", "passes", "when", ">=", "0.95"]
    assert lines[2].split() == ["holdout_profit", "pass", "value", "12.5,", "passes", "when", ">", "0.0"]
    assert lines[3].split() == [
        "forward_tests_profit",
        "not",
        "available",
        "value",
        "-,",
        "passes",
        "when",
        ">",
        "0.0",
        "(each)",
    ]
    assert "at least 0 positions (30 by default)" in lines[4] and len(lines) == 5
