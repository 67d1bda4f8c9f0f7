"""The whole suite as `make up` runs it (its own PostgreSQL and broker, demo data, every
service, the gateway serving the built console), started once for the tests below: the
browser tier and the API fuzzing run against the same processes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from devstack.launch import start_suite


# Package scope: the suite stops when these tests are done, not at the end of the run (its
# relays and consumers would slow every later test).
@pytest.fixture(scope="package")
def suite_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of the whole suite, started as `make up` starts it."""
    suite = start_suite(tmp_path_factory.mktemp("suite"))
    try:
        yield suite.base_url
    finally:
        suite.stop()
