import pytest
from rest_framework.test import APIClient


@pytest.fixture
def client_of():
    """``client_of(account)``: an API client authenticated as that account."""

    def make(account):
        client = APIClient()
        client.force_authenticate(account)
        return client

    return make
