"""The whole suite as `make up` runs it (its own PostgreSQL and broker, demo data, every
service, the gateway serving the built console), started once for the tests below: the
browser tier and the API fuzzing run against the same processes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from devstack.launch import start_suite
from tests.support.fake_wechat import FakeWechat


# Package scope: the suite stops when these tests are done, not at the end of the run (its
# relays and consumers would slow every later test).
@pytest.fixture(scope="package")
def suite_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of the whole suite, started as `make up` starts it."""
    wechat = FakeWechat()  # a party we do not run, behind a real HTTP boundary
    wechat.start()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TICKETING_WECHAT_API_BASE", wechat.base_url)
        suite = start_suite(tmp_path_factory.mktemp("suite"))
    try:
        yield suite.base_url
    finally:
        suite.stop()
        wechat.stop()
