"""Fixtures shared by every app's tests, and the suite's time per marker."""

from collections import defaultdict

import pytest
from rest_framework.test import APIClient

from accounts.roles import role_assign

# Fixtures shared across apps (testing/): every test may ask for them by name.
pytest_plugins = [
    "testing.sshd",
    "testing.servers",
    "testing.searches",
    "testing.demo",
    "testing.browser",
    "testing.candles",
]

# The suite's own markers, in the order the summary prints them; a test with none is "unmarked".
_TIMED_MARKERS = ("slow", "tensorflow", "worker", "browser", "ssh", "scaleout", "chaos")
_seconds_by_marker: dict[str, float] = defaultdict(float)
_tests_by_marker: dict[str, int] = defaultdict(int)
_reports: list[str] = []


@pytest.fixture
def suite_report():
    """``suite_report(text)``: a test's findings (e.g. the fuzzer's statistics), printed in the
    summary at the end of the run rather than through the captured streams of the test."""
    return _reports.append


# Fixtures that train Keras models (the run's trained cache, the demo): a test using one, even
# through another fixture, is a TensorFlow test; `make test-fast` leaves those out.
_TRAINING_FIXTURES = ("trained_cache", "demo_run")


def pytest_collection_modifyitems(items):
    for item in items:
        if any(name in _TRAINING_FIXTURES for name in getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.tensorflow)
    # One browser for the session (testing/browser.py): the tests that use it run last, in order.
    items[:] = [item for item in items if not _uses_browser(item)] + [item for item in items if _uses_browser(item)]


def _uses_browser(item) -> bool:
    return any(name in ("browser", "page", "logged_in_page") for name in getattr(item, "fixturenames", ()))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    names = [name for name in _TIMED_MARKERS if item.get_closest_marker(name)] or ["unmarked"]
    for name in names:  # a test with two markers counts in both: the lines are not a partition
        _seconds_by_marker[name] += report.duration
        if report.when == "call":
            _tests_by_marker[name] += 1


def pytest_terminal_summary(terminalreporter):
    if _reports:
        terminalreporter.section("reports")
        for text in _reports:
            terminalreporter.write_line(text)
    if not _tests_by_marker:
        return
    terminalreporter.section("time per marker (set-up, call and tear-down)")
    for name in (*_TIMED_MARKERS, "unmarked"):
        if name in _tests_by_marker:
            terminalreporter.write_line(
                f"{name:>10}: {_tests_by_marker[name]:4d} tests {_seconds_by_marker[name]:8.1f} s"
            )


@pytest.fixture
def make_user(django_user_model):
    """``make_user(role, username)``: an account with one role (viewer, operator, administrator, worker)."""

    def make(role: str, username: str | None = None):
        account = django_user_model.objects.create_user(username=username or role, password="pw-for-tests")
        return role_assign(account, role)

    return make


@pytest.fixture
def user(make_user):
    """An operator: runs the pipeline; servers, deletions and retraining need an administrator."""
    return make_user("operator", "trader")


@pytest.fixture
def administrator(make_user):
    return make_user("administrator", "chief")


@pytest.fixture
def api_client(user):
    client = APIClient()
    client.force_authenticate(user)
    # Django caches an account's permissions on the object; a real request loads them once with
    # its account. Load them now, so that every request of this client counts the view's queries.
    user.get_all_permissions()
    return client


@pytest.fixture(scope="session")
def trained_cache(tmp_path_factory):
    """Trained regression folders of the run: every app's tests reuse them (see regressions/tests/conftest.py)."""
    return tmp_path_factory.mktemp("trained-regressions")
