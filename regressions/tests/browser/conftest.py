"""The browser fixtures (see epoca_builder/tests/browser/fixtures.py)."""
from epoca_builder.tests.browser.fixtures import *  # noqa: F401,F403
