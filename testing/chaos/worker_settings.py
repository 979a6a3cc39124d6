"""The chaos tests' workers: the test settings plus the kill points (testing.chaos.hook)."""

from epoca_builder.test_settings import *  # noqa: F403  (settings extend settings)
from epoca_builder.test_settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "testing.chaos.apps.ChaosConfig"]
