"""A search of four trained regressions' pairs (testing/searches.py), for the app's tests."""

import pytest

from testing.searches import make_search


@pytest.fixture
def ready_search(pm_epoch, features_cache):
    return make_search(pm_epoch, features_cache)
