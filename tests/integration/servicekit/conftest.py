"""A fresh, migrated database of the test-only sample service per test."""

from __future__ import annotations

from pathlib import Path

import pytest

from servicekit.db import create_engine
from servicekit.migrations import upgrade

MIGRATIONS = Path(__file__).resolve().parents[2] / "support" / "sample_service" / "migrations"


@pytest.fixture
def sample_db(create_database) -> str:
    url = create_database("sample")
    upgrade(MIGRATIONS, url)
    return url


@pytest.fixture
async def engine(sample_db):
    engine = create_engine(sample_db)
    yield engine
    await engine.dispose()
