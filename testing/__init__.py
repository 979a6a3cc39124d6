"""Helpers and fixtures shared by every app's tests.

Modules holding fixtures are registered as plugins in the root conftest.py (``pytest_plugins``),
so no app imports another's conftest or test modules.
"""
