"""Schema fuzzing of the API with schemathesis, in process (WSGI), case by case.

Every operation of ``/api/schema/`` gets ``examples`` positive and ``examples`` negative cases.
Each response is checked for a server error, conformance to the documented schema and a
documented status code; failures are collected (not raised at the first) so one run reports
them all with their counts.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field

import hypothesis
import hypothesis.errors
from django.conf import settings
from django.core import signals
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, given
from schemathesis import openapi
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from cluster.models import Job
from epochs.models import CandlestickSet, EpochExport
from prediction_models.models import PredictionModel, PredictionModelSearch, ProfitableConfig
from regressions.models import Regression, RegressionConfig, RegressionSelection, TrainingBatch

CHECKS = {
    "server error": not_a_server_error,
    "response schema": response_schema_conformance,
    "status code": status_code_conformance,
    "content type": content_type_conformance,
}


@dataclass
class FuzzReport:
    operations: int = 0
    cases: int = 0
    statuses: Counter = field(default_factory=Counter)
    failures: Counter = field(default_factory=Counter)  # check name -> count
    examples: dict = field(default_factory=dict)  # (check, operation) -> first failure text
    seconds: Counter = field(default_factory=Counter)  # operation -> time spent

    def summary(self) -> str:
        lines = [
            f"schema fuzzing: {self.operations} operations, {self.cases} cases",
            "  statuses: " + ", ".join(f"{code}: {n}" for code, n in sorted(self.statuses.items())),
        ]
        for name in CHECKS:
            lines.append(f"  {name} failures: {self.failures[name]}")
        lines.append("  slowest: " + ", ".join(f"{label} {t:.1f}s" for label, t in self.seconds.most_common(5)))
        for (name, label), text in sorted(self.examples.items()):
            lines.append(f"--- {name}: {label}\n{text[:1500]}")
        return "\n".join(lines)


POWER_WORDS = ("reboot", "poweroff", "shutdown", "halt", "init", "systemctl", "sudo")


def assert_power_commands_are_harmless(commands) -> None:
    """CI runs as root and the SSH servers are this machine: a real reboot would reboot it."""
    assert set(commands) == {"reboot", "shutdown"}, commands
    for action, argv in commands.items():
        assert argv and argv[0] in ("echo", "true"), f"{action}: {argv} is not the harmless test command"
        assert not any(word in argv[0] for word in POWER_WORDS), argv


# Operations that revoke the token they are called with: each of their cases gets a new one.
REVOKING = ("/api/auth/logout/", "/api/auth/logoutall/")


def fuzz_api(
    app, *, token: str, throwaway_token, examples: int = 25, skip=lambda operation: False, path_parameters=None
) -> FuzzReport:
    """Fuzz every operation of the schema the app serves, as the superuser of ``token``.

    ``throwaway_token()`` makes a token of another user, for the operations that revoke tokens;
    ``path_parameters(operation)`` gives the ids of real objects for its positive cases.
    """
    assert_power_commands_are_harmless(settings.SERVER_POWER_COMMANDS)  # before the first case, always
    headers = {"Authorization": f"Token {token}"}
    with connection_kept():
        schema = openapi.from_wsgi("/api/schema/?format=json", app, headers=headers)
    report = FuzzReport()
    operations = [result.ok() for result in schema.get_all_operations()]
    with connection_kept():
        _fuzz_all(operations, report, headers, throwaway_token, examples, skip, path_parameters)
    return report


@contextmanager
def connection_kept():
    """Keep the test's database connection across requests, as Django's test client does.

    A request's start and end close "old" connections, which ends the test's transaction.
    """
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def _fuzz_all(operations, report, headers, throwaway_token, examples, skip, path_parameters) -> None:
    # Changes and deletions last: the other operations keep finding the objects as they were
    # given (a server keeps the address of its loopback sshd).
    last = {"PUT": 1, "PATCH": 1, "DELETE": 2}
    operations.sort(key=lambda operation: last.get(operation.method.upper(), 0))
    for operation in operations:
        if skip(operation):
            continue
        report.operations += 1
        known = (path_parameters or (lambda operation: {}))(operation)
        revoking = operation.path in REVOKING
        make_headers = (lambda: {"Authorization": f"Token {throwaway_token()}"}) if revoking else (lambda: headers)
        # Positive cases on real objects (ids of the data), negative ones on whatever is generated.
        started = time.monotonic()
        _fuzz_operation(operation, GenerationMode.POSITIVE, make_headers, examples, report, known)
        _fuzz_operation(operation, GenerationMode.NEGATIVE, make_headers, examples, report, {})
        report.seconds[operation.label] += time.monotonic() - started


def _fuzz_operation(operation, mode, make_headers, examples, report, path_parameters) -> None:
    strategy = operation.as_strategy(generation_mode=mode, path_parameters=path_parameters or None)

    @hypothesis.settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
        phases=[hypothesis.Phase.generate],
    )
    @given(case=strategy)
    def run(case):
        headers = make_headers()
        with transaction.atomic():  # a case that breaks its transaction does not break the next ones
            response = case.call(headers=headers)
        report.cases += 1
        report.statuses[response.status_code] += 1
        for name, check in CHECKS.items():
            try:
                case.validate_response(response, checks=[check], headers=headers)
            except FailureGroup as exc:
                report.failures[name] += 1
                report.examples.setdefault((name, operation.label), str(exc))
            except AssertionError as exc:
                report.failures[name] += 1
                report.examples.setdefault((name, operation.label), str(exc))

    try:
        run()
    except (hypothesis.errors.Unsatisfiable, hypothesis.errors.FailedHealthCheck):
        pass  # e.g. no negative case exists for an operation without parameters


def demo_path_parameters(epoch_id: str, server_id: int | None):
    """Ids of the demo's objects for each path parameter (the first row of each kind)."""

    def first(model, field="pk"):
        row = model.objects.order_by("pk").values_list(field, flat=True).first()
        return row

    batch = TrainingBatch.objects.filter(epoch_id=epoch_id).order_by("pk").first()
    by_prefix = {
        "/api/epochs/": epoch_id,
        "/api/jobs/": first(Job),
        "/api/servers/": server_id,
        "/api/regressions/": first(Regression, "config_id"),
        "/api/regression-configs/": first(RegressionConfig),
        "/api/training-batches/": batch.pk if batch else None,
        "/api/regression-batches/": batch.pk if batch else None,
        "/api/regression-selections/": first(RegressionSelection),
        "/api/prediction-model-searches/": first(PredictionModelSearch),
        "/api/profitable-configs/": first(ProfitableConfig),
        "/api/prediction-models/": first(PredictionModel),
        "/api/epoch-exports/": first(EpochExport),
        "/api/candlestick-sets/": first(CandlestickSet),
    }
    named = {
        "epoch_id": epoch_id,
        "regression_id": first(Regression, "config_id"),
        "batch_name": batch.name if batch else None,
    }

    def parameters(operation) -> dict:
        values = {}
        for name in re.findall(r"\{([^}]+)\}", operation.path):
            if name in named:
                values[name] = named[name]
            else:
                values[name] = next((v for prefix, v in by_prefix.items() if operation.path.startswith(prefix)), None)
        return {k: v for k, v in values.items() if v is not None}

    return parameters
