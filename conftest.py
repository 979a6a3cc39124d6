"""Fixtures shared by every app's tests."""
import pytest


@pytest.fixture
def make_user(django_user_model):
    """``make_user(role, username)``: an account with one role (viewer, operator, administrator, worker)."""
    from accounts.roles import role_assign

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
    from rest_framework.test import APIClient

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
