"""The browser fixtures (see fixtures.py), for the tests in this folder."""
from epoca_builder.tests.browser.fixtures import *  # noqa: F401,F403
