"""The chaos tests' workers: the test settings plus the kill points (epoca_builder.tests.chaos.hook)."""

from epoca_builder.test_settings import *  # noqa: F403  (settings extend settings)
from epoca_builder.test_settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "epoca_builder.tests.chaos.apps.ChaosConfig"]
