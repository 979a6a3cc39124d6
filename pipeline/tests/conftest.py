"""Fixtures of the pipeline tests: the shared ones (testing) are registered by the root conftest."""
