"""Fixtures shared by every app's tests."""
import pytest


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user(username="trader", password="pw-for-tests")


@pytest.fixture
def api_client(user):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture(scope="session")
def trained_cache(tmp_path_factory):
    """Trained regression folders of the run: every app's tests reuse them (see regressions/tests/conftest.py)."""
    return tmp_path_factory.mktemp("trained-regressions")
